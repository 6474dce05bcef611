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

Status ParallelFor(size_t count, unsigned threads, const std::function<void(size_t)>& fn) {
  if (count == 0) return Status::Ok();
  threads = std::max(threads, 1u);
  // Blocks small enough to balance threads slowed by other load on the machine.
  const size_t block = std::clamp<size_t>(count / (threads * 16u), 1, 64);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string error;  // GUARDED_BY(error_mutex)
  auto work = [&] {
    try {
      while (!failed.load(std::memory_order_relaxed)) {
        const size_t begin = next.fetch_add(block, std::memory_order_relaxed);
        if (begin >= count) return;
        const size_t end = std::min(count, begin + block);
        for (size_t i = begin; i < end; ++i) fn(i);
      }
    } catch (const std::exception& e) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!failed.exchange(true)) error = e.what();
    }
  };
  const unsigned helpers = static_cast<unsigned>(std::min<size_t>(threads, count)) - 1u;
  std::vector<std::thread> pool;
  pool.reserve(helpers);
  for (unsigned t = 0; t < helpers; ++t) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads: the ones running (and this one) do the work
    }
  }
  work();
  for (std::thread& thread : pool) thread.join();
  if (failed.load()) return InternalError("worker thread failed: " + error);
  return Status::Ok();
}

}  // namespace bonewatch::adapter
