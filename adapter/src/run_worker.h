// WorkerLoop: the daemon's background thread. First at_start (until it
// succeeds), then each pass, in order:
//  1. ensure_subscriptions, until it succeeds once (failures are logged,
//     counted and retried with backoff; never fatal), then again every
//     subscription_check_interval (degraded_subscription_check_interval while
//     subscriptions_delivering() says no): it reads them back and repairs;
//  2. schedule(today) at start and whenever the date changes;
//  3. poll() every poll_interval (degraded_poll_interval, when shorter, while
//     subscriptions_delivering() says no), and at once when the signal asks
//     (kPollNow);
//  4. process_inbox(batch) and evaluate_dirty(batch);
//  5. update_gauges().
// It waits on the WorkSignal when a pass did no work, and backs off (1 s
// doubling to 30 s) after an error. A pass that found an empty inbox and no
// dirty patient, with no error, sets bonewatch_converged to 1.
//
// The steps are injected functions, so the loop can be tested with fakes and
// so that a missing component (poller off) is simply an empty function. Steps
// must not throw; an exception is caught, logged and counted as an error.
//
// Ownership: borrows the signal, metrics and logger; REQUIRES they outlive the
// loop. Thread-safety: Start/Stop from the owning thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/date.h"
#include "logger.h"
#include "metrics.h"
#include "run_signal.h"

namespace bonewatch::adapter {

struct WorkerSteps {
  // Runs before the first pass, retried until it succeeds (start-up reconciliation).
  std::function<Status()> at_start;
  std::function<Status()> ensure_subscriptions;  // empty: none to manage
  // Whether every managed Subscription delivers; empty: nothing to watch (never degraded).
  std::function<bool()> subscriptions_delivering;
  std::function<rules::Date()> today;                      // REQUIRED
  std::function<StatusOr<size_t>(rules::Date)> schedule;   // empty: no scheduler
  std::function<Status()> poll;                            // empty: poller off
  std::function<StatusOr<size_t>(size_t)> process_inbox;   // items acknowledged
  std::function<StatusOr<size_t>(size_t)> evaluate_dirty;  // patients evaluated
  std::function<void()> update_gauges;
};

struct WorkerOptions {
  std::chrono::milliseconds poll_interval{std::chrono::seconds(60)};
  std::chrono::milliseconds degraded_poll_interval{std::chrono::seconds(15)};
  std::chrono::milliseconds subscription_check_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds degraded_subscription_check_interval{std::chrono::seconds(60)};
  std::chrono::milliseconds idle_wait{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  size_t inbox_batch = 50;
  size_t evaluate_batch = 25;
  // Added to the worker thread's nice value when it starts (threads it creates inherit it);
  // 0 = unchanged. Lowering a priority needs no privilege.
  int niceness = 0;
};

class WorkerLoop {
 public:
  WorkerLoop(WorkerSteps steps, WorkerOptions options, WorkSignal& signal, Metrics& metrics,
             Logger& logger);
  ~WorkerLoop();  // Stop(forever)
  WorkerLoop(const WorkerLoop&) = delete;
  WorkerLoop& operator=(const WorkerLoop&) = delete;

  void Start();
  // Asks the loop to stop after the step in progress and waits up to
  // `deadline`. True when the thread ended (joined); false when it is still
  // busy (the caller may then exit the process: all work is idempotent).
  bool Stop(std::chrono::milliseconds deadline);

  bool converged() const { return converged_.load(); }
  uint64_t passes() const { return passes_.load(); }

 private:
  void Run();
  // One pass; returns true when it did some work, sets *error on failure.
  bool Pass(bool poll_now, bool* error);
  bool Step(const char* stage, const std::function<Status()>& step);
  bool Degraded() const;
  std::chrono::milliseconds PollInterval() const;

  WorkerSteps steps_;
  WorkerOptions options_;
  WorkSignal& signal_;
  Metrics& metrics_;
  Logger& logger_;
  std::thread thread_;
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;  // GUARDED_BY(done_mutex_)
  std::atomic<bool> converged_{false};
  std::atomic<uint64_t> passes_{0};
  // Loop-thread state.
  bool started_ = false;
  bool subscriptions_ensured_ = false;
  std::chrono::steady_clock::time_point next_subscription_try_{};
  std::chrono::milliseconds subscription_backoff_{std::chrono::seconds(1)};
  bool scheduled_once_ = false;
  rules::Date last_schedule_date_;
  std::chrono::steady_clock::time_point next_poll_{};
  std::chrono::steady_clock::time_point last_poll_{};
  bool polled_once_ = false;
};

}  // namespace bonewatch::adapter
