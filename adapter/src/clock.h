// Clock: the daemon's only source of "now", injected so that tests can move time.
//
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bonewatch::adapter {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time.
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

// A clock that tests set and advance.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start) : ms_(ToMs(start)) {}
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void Set(std::chrono::system_clock::time_point t) { ms_ = ToMs(t); }
  void Advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  static int64_t ToMs(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  std::atomic<int64_t> ms_;
};

}  // namespace bonewatch::adapter
