// f32 GEMM: microkernels vs the scalar reference across tile-edge sizes, LinearForward vs
// LinearReference (activations, residual, aliasing, K blocking), and thread-count invariance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_internal.h"
#include "kernels/gemm_q8.h"

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
  F32PpmmUkernelFn fn;
};

std::vector<UkernelCase> SimdUkernels() {
  std::vector<UkernelCase> list = {{"vec128", f32_ppmm_ukernel_4x8__vec128}};
#if defined(__wasm_simd128__)
  list.push_back({"wasmsimd", f32_ppmm_ukernel_4x8__wasmsimd});
#endif
  return list;
}

TEST(KernelsGemmUkernel, PackA4MatchesDefinition) {
  for (size_t kc : {1, 3, 4, 5, 8, 13}) {
    for (size_t mr = 1; mr <= kGemmMR; ++mr) {
      const size_t a_stride = kc + 2;
      const auto a = Random(kGemmMR * a_stride, 5 + kc);
      std::vector<float> got(kc * kGemmMR, NAN);
      f32_pack_a4__scalar(mr, kc, a.data(), a_stride, got.data());
      for (size_t kk = 0; kk < kc; ++kk) {
        for (size_t r = 0; r < kGemmMR; ++r) {
          ASSERT_EQ(got[kk * kGemmMR + r], a[std::min(r, mr - 1) * a_stride + kk]) << "mr=" << mr << " kc=" << kc;
        }
      }
#if defined(__wasm_simd128__)
      std::vector<float> simd(kc * kGemmMR, NAN);
      f32_pack_a4__wasmsimd(mr, kc, a.data(), a_stride, simd.data());
      ASSERT_EQ(0, std::memcmp(got.data(), simd.data(), sizeof(float) * got.size()));
#endif
    }
  }
}

TEST(KernelsGemmUkernel, MatchesScalarAcrossEdges) {
  for (const UkernelCase& uk : SimdUkernels()) {
    for (size_t kc : {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 64}) {
      for (size_t mr = 1; mr <= kGemmMR; ++mr) {
        for (size_t nc : {8, 16, 24}) {
          const size_t w_stride = kc * kGemmNR + 5, c_stride = nc + 3;
          std::vector<float> a_packed(kc * kGemmMR);
          const auto a = Random(kGemmMR * kc, 1 + kc);
          f32_pack_a4__scalar(mr, kc, a.data(), kc, a_packed.data());
          const auto w = Random(w_stride * (nc / kGemmNR), 2 + kc);
          auto c_ref = Random(kGemmMR * c_stride, 4);
          auto c_simd = c_ref;
          f32_ppmm_ukernel_4x8__scalar(mr, nc, kc, a_packed.data(), w.data(), w_stride, c_ref.data(), c_stride);
          uk.fn(mr, nc, kc, a_packed.data(), w.data(), w_stride, c_simd.data(), c_stride);
          // Same per-element operation order: bitwise equal, including untouched cells.
          ASSERT_EQ(0, std::memcmp(c_ref.data(), c_simd.data(), sizeof(float) * c_ref.size()))
              << uk.name << " mr=" << mr << " nc=" << nc << " kc=" << kc;
        }
      }
    }
  }
}

TEST(KernelsGemmUkernel, ScalarIsTheDefinition) {
  // C += A·W with the running sum in C, rows past mr untouched.
  const size_t mr = 3, nc = 16, kc = 5, w_stride = kc * kGemmNR + 8, c_stride = 20;
  const auto a = Random(kGemmMR * kc, 31);
  std::vector<float> a_packed(kc * kGemmMR);
  f32_pack_a4__scalar(mr, kc, a.data(), kc, a_packed.data());
  const auto w = Random(w_stride * 2, 32);
  const auto c0 = Random(kGemmMR * c_stride, 33);
  auto c = c0;
  f32_ppmm_ukernel_4x8__scalar(mr, nc, kc, a_packed.data(), w.data(), w_stride, c.data(), c_stride);
  for (size_t r = 0; r < kGemmMR; ++r) {
    for (size_t j = 0; j < c_stride; ++j) {
      float want = c0[r * c_stride + j];
      if (r < mr && j < nc) {
        const float* panel = w.data() + (j / kGemmNR) * w_stride;
        for (size_t kk = 0; kk < kc; ++kk) want = want + a[r * kc + kk] * panel[kk * kGemmNR + j % kGemmNR];
      }
      ASSERT_EQ(c[r * c_stride + j], want) << "r=" << r << " j=" << j;
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

namespace bt {
namespace {

// Packing from a row source (a loader reading the checkpoint a few panels at a time) gives the
// same packed weights as packing the whole matrix: outputs are bitwise equal, f32 and int8, for
// sizes with partial panels and several read chunks; a failed read gives no weights.
TEST(KernelsGemmPacking, RowSourceEqualsWholeMatrix) {
  for (const auto& [n, k] : std::vector<std::pair<int32_t, int32_t>>{{5, 3}, {37, 768}, {700, 768}, {43, 9000}}) {
    SCOPED_TRACE("n=" + std::to_string(n) + " k=" + std::to_string(k));
    const auto w = Random(static_cast<size_t>(n) * k, 71 + n);
    const auto bias = Random(n, 72);
    const auto x = Random(static_cast<size_t>(5) * k, 73);
    int reads = 0;
    const WeightRowSource rows = [&](int32_t row0, int32_t count, float* out) {
      ++reads;
      EXPECT_EQ(row0 % kGemmNR, 0);
      EXPECT_LE(row0 + count, n);
      std::memcpy(out, w.data() + static_cast<size_t>(row0) * k, sizeof(float) * count * k);
      return true;
    };
    for (const bool q8 : {false, true}) {
      reads = 0;
      auto whole = q8 ? PackLinearQ8(w.data(), bias.data(), n, k) : PackLinearF32(w.data(), bias.data(), n, k);
      auto streamed = q8 ? PackLinearQ8(rows, bias.data(), n, k) : PackLinearF32(rows, bias.data(), n, k);
      ASSERT_TRUE(whole && streamed);
      EXPECT_EQ(reads, (n + WeightRowChunk(k) - 1) / WeightRowChunk(k));
      std::vector<float> y1(static_cast<size_t>(5) * n), y2(y1.size());
      LinearForward(*whole, x.data(), 5, Activation::kNone, nullptr, y1.data(), DefaultThreadPool());
      LinearForward(*streamed, x.data(), 5, Activation::kNone, nullptr, y2.data(), DefaultThreadPool());
      EXPECT_EQ(0, std::memcmp(y1.data(), y2.data(), sizeof(float) * y1.size())) << (q8 ? "q8" : "f32");
      int calls = 0;
      const WeightRowSource failing = [&](int32_t row0, int32_t count, float* out) {
        return ++calls == 1 && rows(row0, count, out) && count == n;
      };
      auto failed = q8 ? PackLinearQ8(failing, bias.data(), n, k) : PackLinearF32(failing, bias.data(), n, k);
      EXPECT_EQ(failed == nullptr, WeightRowChunk(k) < n) << (q8 ? "q8" : "f32");
    }
  }
}

}  // namespace
}  // namespace bt

namespace bt {
namespace {

// A column range computes exactly the full call's values for those columns (f32 and int8; with
// bias, activation and residual; ranges starting or ending inside a panel, a partial last panel, a
// wider output stride; 1 and 2 threads), leaves the rest of y alone, and an invalid range writes nothing.
TEST(KernelsGemmLinear, ColumnRangeEqualsFullCall) {
  const int32_t m = 37, n = 76, k = 100;  // n: 9 whole panels + 4 columns
  const auto x = Random(static_cast<size_t>(m) * k, 81);
  const auto w = Random(static_cast<size_t>(n) * k, 82, -0.1f, 0.1f);
  const auto bias = Random(n, 83);
  const auto residual_full = Random(static_cast<size_t>(m) * n, 84);
  for (const bool q8 : {false, true}) {
    auto packed = q8 ? PackLinearQ8(w.data(), bias.data(), n, k) : PackLinearF32(w.data(), bias.data(), n, k);
    ASSERT_NE(packed, nullptr);
    for (int threads : {1, 2}) {
      SetNumThreads(threads);
      std::vector<float> full(static_cast<size_t>(m) * n);
      LinearForward(*packed, x.data(), m, Activation::kGeluErf, residual_full.data(), full.data(), DefaultThreadPool());
      for (const auto& [begin, end] : std::vector<std::pair<int32_t, int32_t>>{{0, 8}, {8, 72}, {16, 76}, {0, 76}, {3, 5}, {5, 70}, {13, 76}, {75, 76}}) {
        SCOPED_TRACE(std::string(q8 ? "q8" : "f32") + " threads=" + std::to_string(threads) + " columns " +
                     std::to_string(begin) + ".." + std::to_string(end));
        const int32_t stride = end - begin + 5;
        std::vector<float> residual(static_cast<size_t>(m) * stride, 0.0f);
        for (int32_t i = 0; i < m; ++i) {
          std::memcpy(&residual[static_cast<size_t>(i) * stride], &residual_full[static_cast<size_t>(i) * n + begin],
                      sizeof(float) * (end - begin));
        }
        std::vector<float> y(static_cast<size_t>(m) * stride, -7.0f);
        const LinearColumns columns{begin, end, stride};
        LinearForward(*packed, x.data(), m, Activation::kGeluErf, residual.data(), y.data(), DefaultThreadPool(),
                      &columns);
        for (int32_t i = 0; i < m; ++i) {
          const float* got = &y[static_cast<size_t>(i) * stride];
          ASSERT_EQ(0, std::memcmp(got, &full[static_cast<size_t>(i) * n + begin], sizeof(float) * (end - begin)))
              << "row " << i;
          for (int32_t j = end - begin; j < stride; ++j) ASSERT_EQ(got[j], -7.0f) << "row " << i << " col " << j;
        }
      }
      for (const LinearColumns bad : {LinearColumns{-8, 16, 24}, LinearColumns{12, 4, 12}, LinearColumns{8, 8, 8},
                                      LinearColumns{0, 80, 80}, LinearColumns{0, 16, 15}}) {
        std::vector<float> y(static_cast<size_t>(m) * 80, -7.0f);
        LinearForward(*packed, x.data(), m, Activation::kNone, nullptr, y.data(), DefaultThreadPool(), &bad);
        EXPECT_TRUE(std::all_of(y.begin(), y.end(), [](float v) { return v == -7.0f; }))
            << "columns " << bad.begin << ".." << bad.end << " stride " << bad.stride;
      }
    }
  }
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
