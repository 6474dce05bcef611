// WorkerPool: the worker threads of `bonewatch evaluate` on large inputs.
//
// Purpose: evaluate writes its output in a fixed order (patients in ascending
// id order, NDJSON lines in file order), but the work per item (parsing a
// line, evaluating and rendering a patient) is independent. The caller fills
// a batch of result slots in parallel and then consumes the slots in order on
// its own thread, so the output is byte-identical to a single-threaded run
// whatever the thread count. The pool runs one batch on background threads
// while the caller does the serial work of the previous batch (applying
// parsed lines, writing rendered patients), then has the caller help finish
// it (Wait): the serial work overlaps the parallel work. With one thread
// there is no background thread and Wait runs the whole batch.
//
// Thread-safety: `fn` is called concurrently for different indices and must
// only touch the state of its own index (plus shared read-only data). A
// WorkerPool is driven by one thread. Exceptions do not cross threads: one
// thrown by `fn` (e.g. std::bad_alloc) stops the remaining work and is
// returned as an Internal error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
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
  // Finishes the running batch, if any, and joins the threads.
  ~WorkerPool();

  // Starts calling fn(i) for every i in [0, count) on the background threads,
  // handing out indices in small blocks, and returns at once. `fn` and what
  // it touches must stay valid until Wait() returns. REQUIRES: no batch
  // running (Wait() was called since the last Start()).
  void Start(size_t count, std::function<void(size_t)> fn);
  // Works on the running batch on the calling thread too, and returns once
  // every call has finished: Ok, or the Internal error of a throwing `fn`.
  // Ok when no batch is running.
  Status Wait();

 private:
  void BackgroundLoop();
  // Takes blocks of indices of the running batch until none is left.
  void Work();

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable started_;   // a batch started, or stopping
  std::condition_variable finished_;  // a background thread left a batch
  uint64_t batch_ = 0;                // GUARDED_BY(mutex_): batches started
  unsigned left_ = 0;                 // GUARDED_BY(mutex_): background threads done with it
  bool stopping_ = false;             // GUARDED_BY(mutex_)
  bool running_ = false;              // caller's thread only
  // The running batch: written by Start() before the threads see batch_
  // change, read-only until every thread has left it.
  std::function<void(size_t)> fn_;
  size_t count_ = 0;
  size_t block_ = 1;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::string error_;  // GUARDED_BY(mutex_)
};

}  // namespace bonewatch::adapter
