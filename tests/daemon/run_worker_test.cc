// WorkerLoop with fake steps: order, convergence, schedule per date, retries, poll-now, stop.
#include "run_worker.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

#include "clock.h"
#include "ops_metric_names.h"

namespace bonewatch::adapter {
namespace {

using std::chrono::milliseconds;

bool WaitUntil(const std::function<bool()>& done, milliseconds timeout = milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return done();
}

class WorkerLoopTest : public ::testing::Test {
 protected:
  WorkerLoopTest()
      : clock_(std::chrono::system_clock::time_point{}),
        logger_(LogFormat::kText, LogLevel::kError, clock_, &log_) {
    options_.idle_wait = milliseconds(10);
    options_.poll_interval = std::chrono::hours(1);
  }
  WorkerSteps Steps() {
    WorkerSteps steps;
    steps.today = [this] {
      std::lock_guard lock(mutex_);
      return today_;
    };
    steps.schedule = [this](rules::Date day) -> StatusOr<size_t> {
      std::lock_guard lock(mutex_);
      scheduled_.push_back(day);
      return size_t{0};
    };
    steps.process_inbox = [this](size_t) -> StatusOr<size_t> {
      if (inbox_ > 0) {
        --inbox_;
        return size_t{1};
      }
      return size_t{0};
    };
    steps.evaluate_dirty = [](size_t) -> StatusOr<size_t> { return size_t{0}; };
    steps.poll = [this] {
      ++polls_;
      return Status();
    };
    return steps;
  }

  ManualClock clock_;
  std::ostringstream log_;
  Logger logger_;
  Metrics metrics_;
  WorkSignal signal_;
  WorkerOptions options_;
  std::mutex mutex_;
  rules::Date today_ = rules::Date::FromYmd(2026, 11, 27);
  std::vector<rules::Date> scheduled_;
  std::atomic<int> inbox_{0};
  std::atomic<int> polls_{0};
};

// The worker (and the write-back threads it starts) runs nicer than the endpoint's threads,
// which keep the process's priority (issue 13 item 10).
TEST_F(WorkerLoopTest, TheWorkerThreadAndItsHelpersRunNicerThanTheProcess) {
  const auto nice_of_this_thread = [] {
    errno = 0;
    return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  };
  const int ours = nice_of_this_thread();
  if (ours > 16) GTEST_SKIP() << "the test already runs at nice " << ours;
  std::atomic<int> worker_nice{-100};
  std::atomic<int> helper_nice{-100};
  WorkerSteps steps = Steps();
  steps.evaluate_dirty = [&](size_t) -> StatusOr<size_t> {
    if (worker_nice == -100) {
      worker_nice = nice_of_this_thread();
      std::thread helper([&] { helper_nice = nice_of_this_thread(); });
      helper.join();
    }
    return size_t{0};
  };
  options_.niceness = 3;
  WorkerLoop worker(std::move(steps), options_, signal_, metrics_, logger_);
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] { return helper_nice != -100; }));
  EXPECT_EQ(worker_nice.load(), ours + 3);
  EXPECT_EQ(helper_nice.load(), ours + 3);
  EXPECT_EQ(nice_of_this_thread(), ours);  // the rest of the process is untouched
  worker.Stop(std::chrono::seconds(5));
}

TEST_F(WorkerLoopTest, DrainsTheInboxThenReportsConverged) {
  inbox_ = 5;
  WorkerLoop worker(Steps(), options_, signal_, metrics_, logger_);
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] { return worker.converged(); }));
  EXPECT_EQ(inbox_.load(), 0);
  EXPECT_EQ(metrics_.Value(metric::kConverged), 1);
  EXPECT_EQ(polls_.load(), 1);  // at start only (interval 1 h)
  EXPECT_TRUE(worker.Stop(milliseconds(2000)));
}

TEST_F(WorkerLoopTest, SchedulesAtStartAndWhenTheDateChanges) {
  WorkerLoop worker(Steps(), options_, signal_, metrics_, logger_);
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] { return worker.passes() >= 3; }));
  {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(scheduled_.size(), 1u);
    today_ = today_.AddDays(1);
  }
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mutex_);
    return scheduled_.size() == 2;
  }));
  EXPECT_EQ(scheduled_[1], rules::Date::FromYmd(2026, 11, 28));
  EXPECT_TRUE(worker.Stop(milliseconds(2000)));
}

TEST_F(WorkerLoopTest, PollNowWakesThePoller) {
  WorkerLoop worker(Steps(), options_, signal_, metrics_, logger_);
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] { return polls_.load() == 1 && worker.converged(); }));
  signal_.RequestPoll();
  ASSERT_TRUE(WaitUntil([&] { return polls_.load() == 2; }));
  EXPECT_TRUE(worker.Stop(milliseconds(2000)));
}

TEST_F(WorkerLoopTest, PollsFasterAndChecksSubscriptionsSoonerWhileOneDoesNotDeliver) {
  options_.degraded_poll_interval = milliseconds(50);
  options_.subscription_check_interval = std::chrono::hours(1);
  options_.degraded_subscription_check_interval = milliseconds(50);
  std::atomic<bool> delivering{false};
  std::atomic<int> checks{0};
  WorkerSteps steps = Steps();
  steps.ensure_subscriptions = [&] {
    ++checks;
    return Status();
  };
  steps.subscriptions_delivering = [&] { return delivering.load(); };
  WorkerLoop worker(std::move(steps), options_, signal_, metrics_, logger_);
  worker.Start();
  // Degraded: polls (interval 1 h) and checks (1 h) both come every 50 ms.
  ASSERT_TRUE(WaitUntil([&] { return polls_.load() >= 5 && checks.load() >= 5; }));
  EXPECT_EQ(metrics_.Value(metric::kPollDegraded), 1);
  delivering = true;
  ASSERT_TRUE(WaitUntil([&] { return metrics_.Value(metric::kPollDegraded) == 0; }));
  std::this_thread::sleep_for(milliseconds(150));  // let a pass in flight finish
  const int polls = polls_.load();
  const int check_count = checks.load();
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_EQ(polls_.load(), polls);  // back to the 1 h interval
  EXPECT_EQ(checks.load(), check_count);
  EXPECT_TRUE(worker.Stop(milliseconds(2000)));
}

TEST_F(WorkerLoopTest, FailuresAreCountedRetriedAndNeverConverged) {
  options_.max_backoff = milliseconds(20);
  std::atomic<int> start_attempts{0};
  std::atomic<int> subscription_attempts{0};
  WorkerSteps steps = Steps();
  steps.at_start = [&] { return ++start_attempts < 2 ? UnavailableError("store busy") : Status(); };
  steps.ensure_subscriptions = [&] {
    ++subscription_attempts;
    return UnavailableError("fhir down");
  };
  steps.process_inbox = [](size_t) -> StatusOr<size_t> { return UnavailableError("fhir down"); };
  WorkerLoop worker(std::move(steps), options_, signal_, metrics_, logger_);
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] {
    return metrics_.Value(metric::kWorkerErrors, {{"stage", "inbox"}}) >= 2;
  }));
  EXPECT_EQ(start_attempts.load(), 2);
  EXPECT_GE(subscription_attempts.load(), 1);
  EXPECT_GE(metrics_.Value(metric::kWorkerErrors, {{"stage", "start"}}), 1);
  EXPECT_FALSE(worker.converged());
  EXPECT_TRUE(worker.Stop(milliseconds(2000)));
}

TEST_F(WorkerLoopTest, ErrorsBackOffInsteadOfSpinning) {
  options_.max_backoff = milliseconds(200);
  std::atomic<int> attempts{0};
  WorkerSteps steps = Steps();
  steps.at_start = [&] {
    ++attempts;
    return UnavailableError("store busy");
  };
  WorkerLoop worker(std::move(steps), options_, signal_, metrics_, logger_);
  worker.Start();
  std::this_thread::sleep_for(milliseconds(700));
  EXPECT_TRUE(worker.Stop(milliseconds(2000)));
  // 0, 200, 400(capped 200), ... ms: a handful of attempts, not thousands.
  EXPECT_GE(attempts.load(), 2);
  EXPECT_LE(attempts.load(), 6);
}

TEST_F(WorkerLoopTest, StopReportsAStepThatOutlivesTheDeadline) {
  std::atomic<bool> release{false};
  WorkerSteps steps = Steps();
  steps.evaluate_dirty = [&](size_t) -> StatusOr<size_t> {
    while (!release) std::this_thread::sleep_for(milliseconds(5));
    return size_t{0};
  };
  WorkerLoop worker(std::move(steps), options_, signal_, metrics_, logger_);
  worker.Start();
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(worker.Stop(milliseconds(50)));
  release = true;
  EXPECT_TRUE(worker.Stop(milliseconds(2000)));
}

}  // namespace
}  // namespace bonewatch::adapter
