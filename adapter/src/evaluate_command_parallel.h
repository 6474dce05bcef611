// WorkerPool: the worker threads of `bonewatch evaluate` on large inputs.
//
// Purpose: evaluate writes its output in a fixed order (patients in ascending
// id order, NDJSON lines in file order), but the work per item (parsing a
// line, evaluating and rendering a patient) is independent. The caller fills
// batches of result slots in parallel and consumes each batch in order on its
// own thread, so the output is byte-identical to a single-threaded run
// whatever the thread count. The pool runs the batches started (in the order
// started) on background threads while the caller does the serial work of an
// earlier batch (applying parsed lines, writing rendered patients), and has
// the caller help finish the batch it waits for: the serial work overlaps the
// parallel work, and with more than one batch started ahead, the background
// threads keep busy when the caller is slow for a while (e.g. descheduled on a
// loaded machine). With one thread there is no background thread and Wait()
// runs the whole batch. The caller bounds the memory by the number of batches
// it starts ahead.
//
// Thread-safety: `fn` is called concurrently for different indices (and
// batches) and must only touch the state of its own index (plus shared
// read-only data). A WorkerPool is driven by one thread. Exceptions do not
// cross threads: one thrown by `fn` (e.g. std::bad_alloc) stops the rest of
// its batch and is returned by Wait() as an Internal error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bonewatch/fhir/status.h"

namespace bonewatch::adapter {

// The worker count for `requested` (0: std::thread::hardware_concurrency(),
// at least 1; capped at 64).
unsigned ResolveThreadCount(unsigned requested);

class WorkerPool {
 public:
  // Starts threads - 1 background threads; the caller is the last worker.
  explicit WorkerPool(unsigned threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Finishes the batches started and not waited for, and joins the threads.
  ~WorkerPool();

  // Queues a batch: fn(i) for every i in [0, count), handed out to the
  // background threads in small blocks once the batches started before it
  // are handed out. Returns at once. `fn` and what it touches must stay valid
  // until Wait() has returned for this batch.
  void Start(size_t count, std::function<void(size_t)> fn);
  // Waits for the oldest batch not waited for yet, working on it (then on
  // later ones, a block at a time) on the calling thread too, and returns
  // once every call of it has finished: Ok, or the Internal error of a
  // throwing `fn`. Ok when no batch is started.
  Status Wait();

 private:
  struct Batch {
    std::function<void(size_t)> fn;
    size_t count = 0;
    size_t block = 1;
    std::atomic<size_t> next{0};      // first index not handed out
    std::atomic<size_t> finished{0};  // indices done (or skipped after a failure)
    std::atomic<bool> failed{false};
    std::string error;  // GUARDED_BY(mutex_)
  };

  void BackgroundLoop();
  // Hands out the first block of indices not handed out of the oldest batch
  // that has one: the batch and the block's first index, or nullptr. Holding
  // a block keeps the batch alive.
  std::pair<Batch*, size_t> Claim();  // REQUIRES: mutex_ held
  // Runs the block from `begin` of `batch` (handed out to this thread) and,
  // unless `one_block`, the next ones until none is left.
  void Work(Batch& batch, size_t begin, bool one_block);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable work_;      // a batch started, or stopping
  std::condition_variable finished_;  // a batch's last index finished
  // Batches started and not waited for, oldest first. Popped by Wait() only
  // once every index is finished, when no thread touches the batch any more.
  std::deque<std::unique_ptr<Batch>> batches_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;                       // GUARDED_BY(mutex_)
};

}  // namespace bonewatch::adapter
