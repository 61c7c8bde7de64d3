#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

namespace bt {
namespace {

TEST(ThreadPool, CoversRangeOnceWithGrainAlignedChunks) {
  for (int threads : {1, 2, 3, 4}) {
    SetNumThreads(threads);
    ThreadPool& pool = DefaultThreadPool();
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {1, 2, 5, 17, 1000}) {
      for (int64_t grain : {1, 3, 8}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<int> bad_chunks{0};
        pool.ParallelFor(n, grain, [&](int64_t b, int64_t e) {
          if (b % grain != 0 || (e != n && e % grain != 0) || b >= e) ++bad_chunks;
          for (int64_t i = b; i < e; ++i) ++hits[i];
        });
        EXPECT_EQ(bad_chunks.load(), 0);
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
  SetNumThreads(1);
}

TEST(ThreadPool, UsesSeveralThreadsAndManyJobs) {
  SetNumThreads(3);
  ThreadPool& pool = DefaultThreadPool();
  std::atomic<int64_t> total{0};
  for (int job = 0; job < 2000; ++job) {
    pool.ParallelFor(30, 1, [&](int64_t b, int64_t e) { total += e - b; });
  }
  EXPECT_EQ(total.load(), 2000 * 30);
  SetNumThreads(1);
}

TEST(ThreadPool, NestedCallsRunInline) {
  SetNumThreads(2);
  ThreadPool& pool = DefaultThreadPool();
  std::atomic<int> count{0};
  pool.ParallelFor(4, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) pool.ParallelFor(5, 1, [&](int64_t b2, int64_t e2) { count += e2 - b2; });
  });
  EXPECT_EQ(count.load(), 20);
  SetNumThreads(1);
}

TEST(ThreadPool, ConcurrentCallersAreSerialised) {
  SetNumThreads(2);
  std::atomic<int64_t> total{0};
  auto caller = [&] {
    for (int job = 0; job < 200; ++job)
      DefaultThreadPool().ParallelFor(10, 1, [&](int64_t b, int64_t e) { total += e - b; });
  };
  std::thread other(caller);
  caller();
  other.join();
  EXPECT_EQ(total.load(), 2 * 200 * 10);
  SetNumThreads(1);
}

// The caller spins a little for the workers, then sleeps: a chunk that outlasts the spin (here 3 ms)
// must still be waited for, and its writes be visible after ParallelFor returns.
TEST(ThreadPool, WaitsForASlowChunkPastTheSpin) {
  SetNumThreads(2);
  ThreadPool& pool = DefaultThreadPool();
  for (int job = 0; job < 20; ++job) {
    std::vector<int> out(2, 0);
    pool.ParallelFor(2, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (i == (job & 1)) std::this_thread::sleep_for(std::chrono::milliseconds(3));
        out[i] = job + 1;
      }
    });
    ASSERT_EQ(out[0], job + 1);
    ASSERT_EQ(out[1], job + 1);
  }
  SetNumThreads(1);
}

TEST(ThreadPool, ShrinkingKeepsWorking) {
  SetNumThreads(4);
  SetNumThreads(2);
  EXPECT_EQ(DefaultThreadPool().num_threads(), 2);
  std::atomic<int64_t> total{0};
  DefaultThreadPool().ParallelFor(100, 1, [&](int64_t b, int64_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 100);
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
