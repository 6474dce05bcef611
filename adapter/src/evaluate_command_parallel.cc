#include "evaluate_command_parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace bonewatch::adapter {

unsigned ResolveThreadCount(unsigned requested) {
  const unsigned count = requested != 0 ? requested : std::thread::hardware_concurrency();
  return std::clamp(count, 1u, 64u);
}

WorkerPool::WorkerPool(unsigned threads) {
  const unsigned background = std::max(threads, 1u) - 1u;
  threads_.reserve(background);
  for (unsigned t = 0; t < background; ++t) {
    try {
      threads_.emplace_back([this] { BackgroundLoop(); });
    } catch (const std::system_error&) {
      break;  // no more threads: the ones running (and the caller) do the work
    }
  }
}

WorkerPool::~WorkerPool() {
  static_cast<void>(Wait());  // the batch's failure, if any, was not asked for
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  started_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkerPool::Start(size_t count, std::function<void(size_t)> fn) {
  fn_ = std::move(fn);
  count_ = count;
  const size_t threads = threads_.size() + 1;
  // Blocks small enough to balance threads slowed by other load on the
  // machine, and the caller joining late.
  block_ = std::clamp<size_t>(count / (threads * 16u), 1, 64);
  next_.store(0, std::memory_order_relaxed);
  failed_.store(false, std::memory_order_relaxed);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    error_.clear();
    left_ = 0;
    ++batch_;
  }
  started_.notify_all();
  running_ = true;
}

Status WorkerPool::Wait() {
  if (!running_) return Status::Ok();
  running_ = false;
  Work();
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [this] { return left_ == threads_.size(); });
  fn_ = nullptr;
  if (failed_.load()) return InternalError("worker thread failed: " + error_);
  return Status::Ok();
}

void WorkerPool::BackgroundLoop() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      started_.wait(lock, [&] { return batch_ != seen || stopping_; });
      if (batch_ == seen) return;  // stopping, and no batch left to work on
      seen = batch_;
    }
    Work();
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      ++left_;
    }
    finished_.notify_one();
  }
}

void WorkerPool::Work() {
  try {
    while (!failed_.load(std::memory_order_relaxed)) {
      const size_t begin = next_.fetch_add(block_, std::memory_order_relaxed);
      if (begin >= count_) return;
      const size_t end = std::min(count_, begin + block_);
      for (size_t i = begin; i < end; ++i) fn_(i);
    }
  } catch (const std::exception& e) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.exchange(true)) error_ = e.what();
  }
}

}  // namespace bonewatch::adapter
