// The engine's one global: a persistent pool of worker threads. The calling thread
// always takes a share of the work (no thread blocks idle in join while others compute),
// and a partition depends only on (n, grain, thread count), so results are identical
// for any thread count when kernels split work on output rows/columns/heads.
#pragma once

#include <cstdint>
#include <functional>

namespace bt {

class ThreadPool {
 public:
  virtual ~ThreadPool() = default;
  virtual int num_threads() const = 0;  // including the calling thread
  // Calls fn(begin, end) on disjoint chunks covering [0, n); chunks are multiples of `grain`
  // (except the last). Returns when every chunk is done. Not reentrant.
  virtual void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) = 0;
};

// The process-wide pool. Starts single-threaded; SetNumThreads(n) (n >= 1) resizes it.
ThreadPool& DefaultThreadPool();
void SetNumThreads(int n);

}  // namespace bt
