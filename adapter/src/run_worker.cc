#include "run_worker.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "ops_metric_names.h"

namespace bonewatch::adapter {

WorkerLoop::WorkerLoop(WorkerSteps steps, WorkerOptions options, WorkSignal& signal,
                       Metrics& metrics, Logger& logger)
    : steps_(std::move(steps)),
      options_(options),
      signal_(signal),
      metrics_(metrics),
      logger_(logger) {}

WorkerLoop::~WorkerLoop() { Stop(std::chrono::hours(24)); }

void WorkerLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool WorkerLoop::Stop(std::chrono::milliseconds deadline) {
  if (!thread_.joinable()) return true;
  signal_.Stop();
  std::unique_lock lock(done_mutex_);
  if (!done_cv_.wait_for(lock, deadline, [this] { return done_; })) return false;
  lock.unlock();
  thread_.join();
  return true;
}

bool WorkerLoop::Step(const char* stage, const std::function<Status()>& step) {
  Status status;
  try {
    status = step();
  } catch (const std::exception& e) {
    status = InternalError(std::string("unexpected exception: ") + e.what());
  }
  if (status.ok()) return true;
  metrics_.Increment(metric::kWorkerErrors, {{"stage", stage}});
  logger_.Warn("worker.step_failed", {{"stage", stage}, {"error", status.message()}});
  return false;
}

bool WorkerLoop::Degraded() const {
  return steps_.subscriptions_delivering && !steps_.subscriptions_delivering();
}

std::chrono::milliseconds WorkerLoop::PollInterval() const {
  return Degraded() ? std::min(options_.poll_interval, options_.degraded_poll_interval)
                    : options_.poll_interval;
}

bool WorkerLoop::Pass(bool poll_now, bool* error) {
  const auto now = std::chrono::steady_clock::now();
  if (steps_.ensure_subscriptions && now >= next_subscription_try_) {
    if (Step("subscriptions", steps_.ensure_subscriptions)) {
      if (!subscriptions_ensured_) logger_.Info("subscriptions.ensured");
      subscriptions_ensured_ = true;
      subscription_backoff_ =
          std::min<std::chrono::milliseconds>(std::chrono::seconds(1), options_.max_backoff);
      next_subscription_try_ = now + (Degraded() ? options_.degraded_subscription_check_interval
                                                 : options_.subscription_check_interval);
    } else {
      next_subscription_try_ = now + subscription_backoff_;
      subscription_backoff_ = std::min(subscription_backoff_ * 2, options_.max_backoff);
    }
  }
  if (!started_) {
    if (steps_.at_start && !Step("start", steps_.at_start)) {
      *error = true;
      return false;
    }
    started_ = true;
  }
  bool ok = true;
  const rules::Date today = steps_.today();
  if (steps_.schedule && (!scheduled_once_ || today != last_schedule_date_)) {
    size_t due = 0;
    if (Step("schedule", [&] {
          auto n = steps_.schedule(today);
          if (!n.ok()) return n.status();
          due = *n;
          return Status();
        })) {
      scheduled_once_ = true;
      last_schedule_date_ = today;
      logger_.Info("schedule.ran", {{"today", today.ToString()}, {"due", std::to_string(due)}});
    } else {
      ok = false;
    }
  }
  if (steps_.subscriptions_delivering) {
    metrics_.SetGauge(metric::kPollDegraded, {}, Degraded() ? 1 : 0);
  }
  if (steps_.poll && (poll_now || !polled_once_ || now >= last_poll_ + PollInterval())) {
    last_poll_ = now;
    polled_once_ = true;
    metrics_.Increment(metric::kPolls);
    ok = Step("poll", steps_.poll) && ok;
  }
  next_poll_ = last_poll_ + PollInterval();
  size_t processed = 0;
  size_t evaluated = 0;
  if (steps_.process_inbox) {
    ok = Step("inbox",
              [&] {
                auto n = steps_.process_inbox(options_.inbox_batch);
                if (!n.ok()) return n.status();
                processed = *n;
                return Status();
              }) &&
         ok;
    // The items just acknowledged are not written back yet: /status must not
    // show the previous pass's "converged" (inbox 0) until this pass ends.
    if (processed > 0) converged_ = false;
  }
  if (steps_.evaluate_dirty && !signal_.stopping()) {
    ok = Step("evaluate",
              [&] {
                auto n = steps_.evaluate_dirty(options_.evaluate_batch);
                if (!n.ok()) return n.status();
                evaluated = *n;
                return Status();
              }) &&
         ok;
  }
  if (steps_.update_gauges) steps_.update_gauges();
  const bool converged =
      ok && processed == 0 && evaluated == 0 && (!steps_.schedule || scheduled_once_);
  converged_ = converged;
  metrics_.SetGauge(metric::kConverged, {}, converged ? 1 : 0);
  ++passes_;
  *error = !ok;
  return processed > 0 || evaluated > 0;
}

void WorkerLoop::Run() {
  if (options_.niceness > 0) {
    // Linux: nice is per thread (PRIO_PROCESS with a thread id), inherited by the threads
    // this one starts (the write-back helpers). The endpoint's threads keep the process's.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno != 0 ||
        ::setpriority(PRIO_PROCESS, tid, std::min(19, current + options_.niceness)) != 0) {
      logger_.Warn("worker.niceness_failed", {{"error", std::strerror(errno)}});
    }
  }
  const std::chrono::milliseconds first_backoff =
      std::min<std::chrono::milliseconds>(std::chrono::seconds(1), options_.max_backoff);
  std::chrono::milliseconds backoff = first_backoff;
  bool poll_now = false;
  while (!signal_.stopping()) {
    bool error = false;
    const bool did_work = Pass(poll_now, &error);
    poll_now = false;
    std::chrono::milliseconds wait{0};
    if (error) {
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = first_backoff;
      if (!did_work) wait = options_.idle_wait;
    }
    // Wake for the next poll, but never cut an error backoff short (no retry storm).
    if (!error && steps_.poll && wait > std::chrono::milliseconds(0)) {
      const auto until_poll = std::chrono::duration_cast<std::chrono::milliseconds>(
          next_poll_ - std::chrono::steady_clock::now());
      wait = std::max(std::chrono::milliseconds(0), std::min(wait, until_poll));
    }
    if (wait > std::chrono::milliseconds(0)) {
      const WorkSignal::Woken woken = signal_.WaitFor(wait);
      poll_now = woken.poll_now;
    }
  }
  {
    std::lock_guard lock(done_mutex_);
    done_ = true;
  }
  done_cv_.notify_all();
}

}  // namespace bonewatch::adapter
