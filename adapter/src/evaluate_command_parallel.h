// ParallelFor: the worker threads of `bonewatch evaluate` on large inputs.
//
// Purpose: evaluate writes its output in a fixed order (patients in ascending
// id order, NDJSON lines in file order), but the work per item (parsing a
// line, evaluating and rendering a patient) is independent. The caller fills
// a batch of result slots in parallel with ParallelFor and then consumes the
// slots in order on its own thread, so the output is byte-identical to a
// single-threaded run whatever the thread count.
//
// Thread-safety: `fn` is called concurrently for different indices and must
// only touch the state of its own index (plus shared read-only data).
// Exceptions do not cross threads: one thrown by `fn` (e.g. std::bad_alloc)
// stops the remaining work and is returned as an Internal error.
#pragma once

#include <cstddef>
#include <functional>

#include "bonewatch/fhir/status.h"

namespace bonewatch::adapter {

// The worker count for `requested` (0: std::thread::hardware_concurrency(),
// at least 1; capped at 64).
unsigned ResolveThreadCount(unsigned requested);

// Calls fn(i) for every i in [0, count) on `threads` threads (the calling
// thread is one of them), handing out indices in small blocks, and returns
// when all calls have finished.
Status ParallelFor(size_t count, unsigned threads, const std::function<void(size_t)>& fn);

}  // namespace bonewatch::adapter
