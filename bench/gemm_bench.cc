// GEMM micro-benchmark (not a test): GFLOP/s of LinearForward on BERT-base shapes.
// Native: g++ -O3 -std=c++20 -Isrc bench/gemm_bench.cc src/kernels/*.cc src/core/thread_pool.cc -pthread -o /tmp/gemm_bench
// Wasm:   cmake --build build/wasm --target gemm_bench_simd128 gemm_bench_relaxed (build/wasm/bench/*.js; bench/run.mjs does it)
// Run from the repository root. Prints best-of-N GFLOP/s for f32 and int8 weights, 1 and 2 threads,
// then each microkernel alone on L1-resident data (one 4-row tile × 8 panels, no driver, no packing,
// no epilogue): the ceiling LinearForward and a whole model can approach on this engine.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_internal.h"
#include "kernels/gemm_q8.h"

namespace {

double BestSeconds(const bt::PackedLinear& w, const float* x, int m, float* y, int reps) {
  double best = 1e30;
  // The activations' packing scratch, owned by the caller as a model's arena owns it.
  const size_t bytes = bt::LinearScratchBytes(w, m);
  std::vector<double> scratch((bytes + sizeof(double) - 1) / sizeof(double) + 8);
  void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) & ~uintptr_t{63});
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    bt::LinearForward(w, x, m, bt::Activation::kNone, nullptr, y, bt::DefaultThreadPool(), nullptr, {aligned, bytes});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  return best;
}

// One microkernel call sweeps a 4 x kc tile across 8 panels (64 columns); all operands fit in L1.
template <class Call>
void MicrokernelRate(const char* name, int kc, Call call) {
  const int nc = 64, calls = 4000000 / kc;
  double best = 1e30;
  for (int r = 0; r < 7; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) call();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("%s M=%d K=%d N=%-4d threads=1: %7.1f GFLOP/s (microkernel alone, L1-resident)\n", name, bt::kGemmMR,
              kc, nc, 2.0 * bt::kGemmMR * nc * kc * calls / best * 1e-9);
}

void MicrokernelRates() {
  const int kc = 256, nc = 64, panels = nc / bt::kGemmNR;
  const size_t f32_stride = bt::kGemmNR + static_cast<size_t>(bt::kGemmNR) * kc;
  std::vector<float> a(static_cast<size_t>(bt::kGemmMR) * kc, 0.5f), w(f32_stride * panels, 0.25f),
      c(static_cast<size_t>(bt::kGemmMR) * nc, 0.0f);
  const bt::F32PpmmUkernelFn f32 = bt::BestF32PpmmUkernel();
  MicrokernelRate("f32-ukernel", kc, [&] {
    f32(bt::kGemmMR, nc, kc, a.data(), w.data() + bt::kGemmNR, f32_stride, c.data(), nc);
  });
  // int8: the kernel of this build's layout (c2: int16 activation pairs; c4: int8 activation quads).
  const bt::Q8Gemm& gemm = bt::BestQ8Gemm();
  const size_t groups = kc / gemm.kr, q8_stride = bt::PackedLinearQ8::kHeaderBytes + bt::kGemmNR * kc;
  std::vector<int16_t> qa(static_cast<size_t>(bt::kGemmMR) * kc, 3);
  std::vector<int8_t> qw(q8_stride * panels, 2);
  std::vector<int32_t> qc(static_cast<size_t>(bt::kGemmMR) * nc);
  const int8_t* weights = qw.data() + bt::PackedLinearQ8::kHeaderBytes;
  const std::string name = std::string("q8-ukernel (") + bt::Q8KernelName() + ")";
  MicrokernelRate(name.c_str(), kc, [&] {
    if (gemm.kr == 2) {
      gemm.c2(nc, groups, qa.data(), weights, q8_stride, qc.data(), nc);
    } else {
      gemm.c4(nc, groups, reinterpret_cast<const int8_t*>(qa.data()), weights, q8_stride, qc.data(), nc);
    }
  });
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
  MicrokernelRates();
  return 0;
}
