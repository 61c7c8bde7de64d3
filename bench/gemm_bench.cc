// GEMM micro-benchmark (not a test): GFLOP/s of LinearForward on BERT-base shapes.
// Native: g++ -O3 -std=c++20 -Isrc bench/gemm_bench.cc src/kernels/*.cc src/core/thread_pool.cc -pthread -o /tmp/gemm_bench
// Wasm:   NODE_PATH=/usr/share/nodejs em++ -O3 -std=c++20 -msimd128 -pthread -fno-exceptions -Isrc bench/gemm_bench.cc src/kernels/*.cc src/core/thread_pool.cc -sPTHREAD_POOL_SIZE=2 -sEXIT_RUNTIME=1 -sINITIAL_MEMORY=268435456 -o /tmp/gemm_bench.js && node --no-experimental-fetch /tmp/gemm_bench.js
// Run from the repository root. Prints best-of-N GFLOP/s for f32 and int8 weights, 1 and 2 threads.
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_q8.h"

namespace {

double BestSeconds(const bt::PackedLinear& w, const float* x, int m, float* y, int reps) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    bt::LinearForward(w, x, m, bt::Activation::kNone, nullptr, y, bt::DefaultThreadPool());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  return best;
}

}  // namespace

int main() {
  const int m = 128, k = 768;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int n : {768, 3072}) {
    std::vector<float> x(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), b(n), y(static_cast<size_t>(m) * n);
    for (float& v : x) v = dist(rng);
    for (float& v : w) v = dist(rng) * 0.05f;
    for (float& v : b) v = dist(rng);
    std::unique_ptr<bt::PackedLinear> packed[2] = {bt::PackLinearF32(w.data(), b.data(), n, k),
                                                   bt::PackLinearQ8(w.data(), b.data(), n, k)};
    const char* names[2] = {"f32", "q8 "};
    for (int kind = 0; kind < 2; ++kind) {
      if (packed[kind] == nullptr) continue;
      for (int threads : {1, 2}) {
        bt::SetNumThreads(threads);
        BestSeconds(*packed[kind], x.data(), m, y.data(), 3);  // warm up (and wake workers)
        const double s = BestSeconds(*packed[kind], x.data(), m, y.data(), 20);
        std::printf("%s M=%d K=%d N=%-4d threads=%d: %7.1f GFLOP/s (%.3f ms)\n", names[kind], m, k, n, threads,
                    2.0 * m * n * k / s * 1e-9, s * 1e3);
      }
    }
  }
  bt::SetNumThreads(1);
  return 0;
}
