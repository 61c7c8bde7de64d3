// A persistent std::thread pool. Workers are created once (when SetNumThreads grows the pool)
// and live for the whole process: they are never joined, so nothing ever blocks on thread exit
// (under emscripten pthreads a join on the browser main thread can deadlock).
//
// Scheduling: ParallelFor cuts [0, n) into at most num_threads() chunks whose boundaries depend
// only on (n, grain, num_threads()). Chunks are claimed dynamically from an atomic counter, and
// the calling thread claims chunks too. A worker that has not started yet (a pthread whose web
// worker is still booting) simply claims nothing: the caller then runs every chunk itself, so a
// slow or missing worker can cost speed but never deadlock.
//
// Waiting: workers sleep on a condition variable between jobs. The caller, once its own chunks are
// done, watches the done count for up to kCallerSpinMicros before it sleeps: the chunks are
// balanced, so a worker usually finishes a few microseconds after the caller, and waking a sleeping
// caller (futex; Atomics.wait/notify in wasm) costs ~10-50 us — per job, a dozen jobs a layer.
// Workers do not spin: measured under load (other processes on the cores) a spinning worker took
// the CPU its own caller needed (MiniLM 1x16 2 threads, Node 22: 0.86x with 20 us, 0.81x with 100 us).
#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace bt {
namespace {

constexpr int64_t kCallerSpinMicros = 50;

thread_local bool tls_inside_parallel_for = false;

// Calls done() until it returns true or about `micros` have passed; returns its last value.
template <typename Done>
bool SpinUntil(int64_t micros, const Done& done) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point end = Clock::now() + std::chrono::microseconds(micros);
  for (;;) {
    for (int i = 0; i < 64; ++i) {  // the clock is a host call in wasm: read it now and then
      if (done()) return true;
    }
    if (Clock::now() >= end) return done();
  }
}

class StdThreadPool final : public ThreadPool {
 public:
  int num_threads() const override { return num_threads_.load(std::memory_order_relaxed); }

  void SetNumThreads(int n) {
    std::lock_guard<std::mutex> call_lock(call_mutex_);  // never resize under a running job
    n = std::max(n, 1);
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
    n = 1;  // the single-threaded wasm build (no SharedArrayBuffer) cannot start threads
#endif
    while (static_cast<int>(workers_started_) < n - 1) {
      const int index = static_cast<int>(workers_started_++);
      std::thread(&StdThreadPool::WorkerLoop, this, index).detach();
    }
    num_threads_.store(n, std::memory_order_relaxed);
  }

  void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) override {
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    const int64_t units = (n + grain - 1) / grain;
    const int threads = num_threads();
    const int64_t chunks = std::min<int64_t>(units, threads);
    if (chunks <= 1 || tls_inside_parallel_for) {  // nested calls run inline
      fn(0, n);
      return;
    }
    std::lock_guard<std::mutex> call_lock(call_mutex_);  // one job at a time
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_fn_ = &fn;
      job_n_ = n;
      job_grain_ = grain;
      job_units_ = units;
      job_chunks_ = chunks;
      next_chunk_.store(0, std::memory_order_relaxed);
      chunks_done_.store(0, std::memory_order_relaxed);
      job_open_ = true;
      ++generation_;
    }
    work_cv_.notify_all();

    tls_inside_parallel_for = true;
    const int64_t mine = RunChunks();
    tls_inside_parallel_for = false;

    // Every chunk is claimed now: close the job (late wakers skip it), then wait for the workers
    // that claimed some (active_workers_ only falls once the job is closed).
    auto done = [&] {
      return active_workers_.load(std::memory_order_acquire) == 0 &&
             chunks_done_.load(std::memory_order_acquire) == job_chunks_;
    };
    std::unique_lock<std::mutex> lock(mutex_);
    chunks_done_.fetch_add(mine, std::memory_order_acq_rel);
    job_open_ = false;
    if (!done()) {
      lock.unlock();
      const bool finished = SpinUntil(kCallerSpinMicros, done);
      lock.lock();
      if (!finished) {
        caller_sleeps_ = true;
        done_cv_.wait(lock, done);
        caller_sleeps_ = false;
      }
    }
    job_fn_ = nullptr;
  }

 private:
  // Claims and runs chunks until none are left; returns how many this thread ran.
  int64_t RunChunks() {
    int64_t ran = 0;
    for (;;) {
      const int64_t c = next_chunk_.fetch_add(1, std::memory_order_relaxed);
      if (c >= job_chunks_) break;
      // Chunk c covers units [c*units/chunks, (c+1)*units/chunks): balanced, grain-aligned.
      const int64_t u0 = c * job_units_ / job_chunks_;
      const int64_t u1 = (c + 1) * job_units_ / job_chunks_;
      (*job_fn_)(u0 * job_grain_, std::min(u1 * job_grain_, job_n_));
      ++ran;
    }
    return ran;
  }

  void WorkerLoop(int index) {
    tls_inside_parallel_for = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      work_cv_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (!job_open_ || index >= num_threads() - 1) continue;
      active_workers_.fetch_add(1, std::memory_order_relaxed);
      lock.unlock();
      const int64_t ran = RunChunks();
      // Done count first, then the active count: the caller's spin reads them in the other order.
      chunks_done_.fetch_add(ran, std::memory_order_acq_rel);
      lock.lock();
      active_workers_.fetch_sub(1, std::memory_order_acq_rel);
      if (caller_sleeps_ && done_locked()) done_cv_.notify_one();
    }
  }

  bool done_locked() const {
    return active_workers_.load(std::memory_order_relaxed) == 0 &&
           chunks_done_.load(std::memory_order_relaxed) == job_chunks_;
  }

  std::mutex call_mutex_;  // serialises ParallelFor callers and resizing
  std::mutex mutex_;       // guards the job fields below (the caller's spin reads the atomics without it)
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::atomic<int> num_threads_{1};
  size_t workers_started_ = 0;

  const std::function<void(int64_t, int64_t)>* job_fn_ = nullptr;
  int64_t job_n_ = 0, job_grain_ = 1, job_units_ = 0, job_chunks_ = 0;
  std::atomic<int64_t> next_chunk_{0};
  std::atomic<int64_t> chunks_done_{0};
  std::atomic<int> active_workers_{0};
  bool job_open_ = false;
  bool caller_sleeps_ = false;  // the caller waits on done_cv_
  uint64_t generation_ = 0;
};

StdThreadPool& Pool() {
  static StdThreadPool* pool = new StdThreadPool();  // leaked on purpose: workers outlive main
  return *pool;
}

}  // namespace

ThreadPool& DefaultThreadPool() { return Pool(); }
void SetNumThreads(int n) { Pool().SetNumThreads(n); }

}  // namespace bt
