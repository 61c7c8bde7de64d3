// f32 GEMM: microkernels vs the scalar reference across tile-edge sizes, LinearForward vs
// LinearReference (activations, residual, aliasing, K blocking), and thread-count invariance.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_internal.h"

namespace bt {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct UkernelCase {
  const char* name;
  F32GemmUkernelFn fn;
};

std::vector<UkernelCase> SimdUkernels() {
  std::vector<UkernelCase> list = {{"vec128", f32_gemm_ukernel_4x8__vec128}};
#if defined(__wasm_simd128__)
  list.push_back({"wasmsimd", f32_gemm_ukernel_4x8__wasmsimd});
#endif
  return list;
}

TEST(KernelsGemmUkernel, MatchesScalarAcrossEdges) {
  for (const UkernelCase& uk : SimdUkernels()) {
    for (size_t kc : {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 64}) {
      for (size_t mr = 1; mr <= kGemmMR; ++mr) {
        for (size_t nc = 1; nc <= kGemmNR; ++nc) {
          for (bool with_bias : {true, false}) {
            const size_t a_stride = kc + 3, c_stride = 11;
            const auto a = Random(kGemmMR * a_stride, 1 + kc);
            const auto w = Random(kc * kGemmNR, 2 + kc);
            const auto bias = Random(kGemmNR, 3);
            auto c_ref = Random(kGemmMR * c_stride, 4);
            auto c_simd = c_ref;
            const float* b = with_bias ? bias.data() : nullptr;
            f32_gemm_ukernel_4x8__scalar(mr, nc, kc, a.data(), a_stride, w.data(), b, c_ref.data(), c_stride);
            uk.fn(mr, nc, kc, a.data(), a_stride, w.data(), b, c_simd.data(), c_stride);
            // Same per-element operation order: bitwise equal, including untouched cells.
            ASSERT_EQ(0, std::memcmp(c_ref.data(), c_simd.data(), sizeof(float) * c_ref.size()))
                << uk.name << " mr=" << mr << " nc=" << nc << " kc=" << kc << " bias=" << with_bias;
          }
        }
      }
    }
  }
}

TEST(KernelsGemmPack, AlignedAndSized) {
  const auto w = Random(13 * 5, 7);
  auto packed = PackLinearF32(w.data(), nullptr, 13, 5);
  ASSERT_NE(packed, nullptr);
  EXPECT_EQ(packed->n(), 13);
  EXPECT_EQ(packed->k(), 5);
  EXPECT_EQ(packed->bytes(), sizeof(float) * 2 * (8 + 8 * 5));
  const auto& f32 = static_cast<const PackedLinearF32&>(*packed);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f32.panel(0)) % 16, 0u);
  // Panel 1 holds columns 8..12, then zero padding; bias is zero when absent.
  EXPECT_EQ(f32.panel(1)[0], 0.0f);
  EXPECT_EQ(f32.panel(1)[8 + 2 * 8 + 3], w[11 * 5 + 2]);
  EXPECT_EQ(f32.panel(1)[8 + 2 * 8 + 6], 0.0f);
}

struct Shape {
  int32_t m, n, k;
};

void CheckLinear(Shape s, Activation act, bool residual, bool alias, bool with_bias, int threads) {
  SetNumThreads(threads);
  const auto x = Random(static_cast<size_t>(s.m) * s.k, 11);
  const auto w = Random(static_cast<size_t>(s.n) * s.k, 12, -0.2f, 0.2f);
  const auto bias = Random(s.n, 13);
  const auto res = Random(static_cast<size_t>(s.m) * s.n, 14);
  const float* b = with_bias ? bias.data() : nullptr;
  std::vector<float> want(static_cast<size_t>(s.m) * s.n);
  LinearReference(w.data(), b, s.n, s.k, x.data(), s.m, act, residual ? res.data() : nullptr, want.data());

  auto packed = PackLinearF32(w.data(), b, s.n, s.k);
  ASSERT_NE(packed, nullptr);
  std::vector<float> got = alias ? res : std::vector<float>(want.size(), NAN);
  const float* r = residual ? (alias ? got.data() : res.data()) : nullptr;
  LinearForward(*packed, x.data(), s.m, act, r, got.data(), DefaultThreadPool());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-6f * (1.0f + std::fabs(want[i])))
        << "m=" << s.m << " n=" << s.n << " k=" << s.k << " act=" << static_cast<int>(act) << " i=" << i;
  }
  SetNumThreads(1);
}

TEST(KernelsGemmLinear, MatchesReferenceAcrossEdges) {
  for (int32_t m : {1, 3, 4, 5, 63, 64, 65, 130}) {
    for (int32_t n : {1, 7, 8, 9, 63, 64, 65, 130}) {
      for (int32_t k : {1, 3, 4, 5, 17, 64}) CheckLinear({m, n, k}, Activation::kNone, false, false, true, 1);
    }
  }
}

TEST(KernelsGemmLinear, KBlockingAndThreads) {
  for (int32_t k : {511, 1024, 1025, 3072}) {
    CheckLinear({70, 72, k}, Activation::kNone, false, false, true, 1);
    CheckLinear({9, 17, k}, Activation::kNone, true, false, true, 2);
  }
}

TEST(KernelsGemmLinear, EpilogueVariants) {
  for (Activation act : {Activation::kNone, Activation::kGeluErf, Activation::kGeluTanh, Activation::kRelu,
                         Activation::kTanh}) {
    for (bool residual : {false, true}) {
      CheckLinear({33, 70, 40}, act, residual, false, true, 2);
      CheckLinear({33, 70, 1100}, act, residual, false, false, 3);
    }
    CheckLinear({33, 70, 1100}, act, true, /*alias=*/true, true, 2);
    CheckLinear({5, 9, 7}, act, true, /*alias=*/true, true, 1);
  }
}

TEST(KernelsGemmLinear, BitwiseIdenticalForAnyThreadCount) {
  for (Shape s : {Shape{128, 768, 768}, Shape{37, 200, 1500}, Shape{1, 30, 50}, Shape{300, 2, 16}}) {
    const auto x = Random(static_cast<size_t>(s.m) * s.k, 21);
    const auto w = Random(static_cast<size_t>(s.n) * s.k, 22, -0.1f, 0.1f);
    const auto bias = Random(s.n, 23);
    auto packed = PackLinearF32(w.data(), bias.data(), s.n, s.k);
    ASSERT_NE(packed, nullptr);
    std::vector<float> first;
    for (int threads : {1, 2, 3}) {
      SetNumThreads(threads);
      std::vector<float> y(static_cast<size_t>(s.m) * s.n);
      LinearForward(*packed, x.data(), s.m, Activation::kGeluErf, nullptr, y.data(), DefaultThreadPool());
      if (first.empty()) {
        first = y;
      } else {
        ASSERT_EQ(0, std::memcmp(first.data(), y.data(), sizeof(float) * y.size())) << "threads=" << threads;
      }
    }
  }
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
