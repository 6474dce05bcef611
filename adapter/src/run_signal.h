// WorkSignal: how the notification endpoint and the pipeline wake the worker
// loop (a condition variable with two flags: "work arrived" and "poll now"),
// and how shutdown stops it.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace bonewatch::adapter {

class WorkSignal {
 public:
  struct Woken {
    bool work = false;
    bool poll_now = false;
    bool stop = false;
  };

  void Wake() {
    Set([](Woken& w) { w.work = true; });
  }
  void RequestPoll() {
    Set([](Woken& w) { w.poll_now = w.work = true; });
  }
  void Stop() {
    Set([](Woken& w) { w.stop = true; });
  }
  bool stopping() const {
    std::lock_guard lock(mutex_);
    return state_.stop;
  }

  // Waits until woken or `timeout`; returns and clears the work/poll flags
  // (stop stays set).
  Woken WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [this] { return state_.work || state_.stop; });
    Woken result = state_;
    state_.work = state_.poll_now = false;
    return result;
  }

 private:
  template <typename F>
  void Set(F f) {
    {
      std::lock_guard lock(mutex_);
      f(state_);
    }
    cv_.notify_all();
  }
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  Woken state_;  // GUARDED_BY(mutex_)
};

}  // namespace bonewatch::adapter
