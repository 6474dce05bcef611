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
  while (true) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (batches_.empty()) break;
    }
    static_cast<void>(Wait());  // the batch's failure, if any, was not asked for
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void WorkerPool::Start(size_t count, std::function<void(size_t)> fn) {
  auto batch = std::make_unique<Batch>();
  batch->fn = std::move(fn);
  batch->count = count;
  // Blocks small enough to balance threads slowed by other load on the
  // machine, and the caller joining late.
  batch->block = std::clamp<size_t>(count / ((threads_.size() + 1) * 16u), 1, 64);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    batches_.push_back(std::move(batch));
  }
  work_.notify_all();
}

Status WorkerPool::Wait() {
  Batch* batch = nullptr;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (batches_.empty()) return Status::Ok();
    batch = batches_.front().get();  // only Wait() frees it
  }
  Work(*batch, batch->next.fetch_add(batch->block, std::memory_order_relaxed), false);
  // Until the background threads finish their last blocks of it, work on the
  // batches after it, a block at a time, rather than sleep.
  std::unique_lock<std::mutex> lock(mutex_);
  while (batch->finished.load() != batch->count) {
    const std::pair<Batch*, size_t> claimed = Claim();
    if (claimed.first == nullptr) {
      finished_.wait(lock, [batch] { return batch->finished.load() == batch->count; });
      break;
    }
    lock.unlock();
    Work(*claimed.first, claimed.second, true);
    lock.lock();
  }
  const std::unique_ptr<Batch> done = std::move(batches_.front());
  batches_.pop_front();
  if (done->failed.load()) return InternalError("worker thread failed: " + done->error);
  return Status::Ok();
}

std::pair<WorkerPool::Batch*, size_t> WorkerPool::Claim() {
  for (const std::unique_ptr<Batch>& batch : batches_) {
    if (batch->next.load(std::memory_order_relaxed) >= batch->count) continue;
    const size_t begin = batch->next.fetch_add(batch->block, std::memory_order_relaxed);
    if (begin < batch->count) return {batch.get(), begin};
  }
  return {nullptr, 0};
}

void WorkerPool::BackgroundLoop() {
  while (true) {
    std::pair<Batch*, size_t> claimed;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_.wait(lock, [&] {
        claimed = Claim();
        return claimed.first != nullptr || stopping_;
      });
      if (claimed.first == nullptr) return;  // stopping, and nothing left to work on
    }
    Work(*claimed.first, claimed.second, false);
  }
}

void WorkerPool::Work(Batch& batch, size_t begin, bool one_block) {
  const size_t count = batch.count;
  const size_t block = batch.block;
  while (begin < count) {
    const size_t end = std::min(count, begin + block);
    try {
      // After a failure the rest of the batch is skipped, but still counted.
      for (size_t i = begin; i < end && !batch.failed.load(std::memory_order_relaxed); ++i) {
        batch.fn(i);
      }
    } catch (const std::exception& e) {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!batch.failed.exchange(true)) batch.error = e.what();
    }
    // The next block is handed out before this one is counted: once every
    // index is counted, Wait() frees the batch, and this thread must not
    // touch it any more.
    const size_t next = one_block ? count : batch.next.fetch_add(block, std::memory_order_relaxed);
    if (batch.finished.fetch_add(end - begin) + (end - begin) == count) {
      const std::lock_guard<std::mutex> lock(mutex_);
      finished_.notify_all();
    }
    begin = next;
  }
}

}  // namespace bonewatch::adapter
