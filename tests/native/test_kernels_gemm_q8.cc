// Int8 GEMM: SIMD microkernels vs the scalar reference (exact integers), LinearForward on
// PackLinearQ8 weights vs a plain-loop quantised reference and vs f32, thread-count invariance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm_internal.h"
#include "kernels/activation.h"
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

TEST(KernelsGemmQ8Ukernel, SimdMatchesScalarExactly) {
  std::vector<std::pair<const char*, Q8PpmmUkernelFn>> kernels;
#if defined(__SSE2__)
  kernels.push_back({"sse2", qd8_qc8w_ppmm_ukernel_4x8c2__sse2});
#endif
#if defined(__wasm_simd128__)
  kernels.push_back({"wasmsimd", qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2});
#endif
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> q(-127, 127);
  for (const auto& [name, fn] : kernels) {
    for (size_t kp : {1, 2, 3, 4, 7, 8, 9, 384, 1536}) {
      for (size_t nc : {8, 16, 40}) {
        const size_t w_stride = 16 * kp + 32, c_stride = nc + 3;
        std::vector<int16_t> a(8 * kp);
        std::vector<int8_t> w(w_stride * (nc / 8));
        for (auto& v : a) v = static_cast<int16_t>(q(rng));
        for (auto& v : w) v = static_cast<int8_t>(q(rng));
        std::vector<int32_t> want(4 * c_stride, -1), got(4 * c_stride, -1);
        qd8_qc8w_ppmm_ukernel_4x8c2__scalar(nc, kp, a.data(), w.data(), w_stride, want.data(), c_stride);
        fn(nc, kp, a.data(), w.data(), w_stride, got.data(), c_stride);
        ASSERT_EQ(got, want) << name << " kp=" << kp << " nc=" << nc;
      }
    }
  }
}

TEST(KernelsGemmQ8Ukernel, ScalarIsTheDefinitionOnQuantisedTiles) {
  // Rows quantised into 4-row tiles (with a padded last tile) times one panel equal plain dot
  // products of the quantised values.
  const int32_t m = 6, k = 5;
  const size_t kp = 3;
  const auto x = Random(static_cast<size_t>(m) * k, 51);
  std::vector<int16_t> q(Q8TileElements(m, kp), 99);
  std::vector<float> scale(m);
  QuantizeRowsQ8(x.data(), 0, m, k, kp, q.data(), scale.data());
  ZeroQ8PaddingRows(m, kp, q.data());
  std::vector<int8_t> w(16 * kp);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  for (int32_t tile = 0; tile < 2; ++tile) {
    std::vector<int32_t> c(4 * 8);
    qd8_qc8w_ppmm_ukernel_4x8c2__scalar(8, kp, q.data() + tile * 8 * kp, w.data(), 16 * kp, c.data(), 8);
    for (int32_t r = 0; r < 4; ++r) {
      const int32_t row = tile * 4 + r;
      for (int j = 0; j < 8; ++j) {
        int32_t want = 0;
        for (int32_t kk = 0; kk < k && row < m; ++kk) {
          const float inv = scale[row] > 0 ? 1.0f / scale[row] : 0.0f;
          const int qv = static_cast<int>(std::nearbyint(std::max(-127.0f, std::min(127.0f, x[row * k + kk] * inv))));
          const int8_t wv = w[(kk / 2) * 16 + (j / 4) * 8 + (j % 4) * 2 + kk % 2];
          want += qv * wv;
        }
        EXPECT_NEAR(c[r * 8 + j], want, 127 * k / 64 + 1) << "row " << row << " col " << j;  // rounding of x*inv
      }
    }
  }
}

// Quantised math with plain loops: q = round(v * 127 / max|row|) on both operands.
void ReferenceQ8(const std::vector<float>& w, const std::vector<float>& bias, int32_t n, int32_t k,
                 const std::vector<float>& x, int32_t m, std::vector<float>* y) {
  auto quantize = [](const float* row, int32_t len, std::vector<int>* q) {
    float max_abs = 0;
    for (int32_t i = 0; i < len; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
    const float inv = max_abs > 0 ? 127.0f / max_abs : 0.0f;
    q->resize(len);
    for (int32_t i = 0; i < len; ++i) (*q)[i] = static_cast<int>(std::nearbyint(row[i] * inv));
    return max_abs / 127.0f;
  };
  y->assign(static_cast<size_t>(m) * n, 0.0f);
  std::vector<int> qx, qw;
  for (int32_t i = 0; i < m; ++i) {
    const float sx = quantize(&x[static_cast<size_t>(i) * k], k, &qx);
    for (int32_t j = 0; j < n; ++j) {
      const float sw = quantize(&w[static_cast<size_t>(j) * k], k, &qw);
      int64_t acc = 0;
      for (int32_t t = 0; t < k; ++t) acc += qx[t] * qw[t];
      (*y)[static_cast<size_t>(i) * n + j] = static_cast<float>(acc) * (sx * sw) + bias[j];
    }
  }
}

TEST(KernelsGemmQ8Linear, MatchesQuantisedReferenceAndF32) {
  struct Shape { int32_t m, n, k; };
  for (Shape s : {Shape{1, 1, 1}, Shape{3, 7, 5}, Shape{4, 8, 8}, Shape{5, 9, 17}, Shape{65, 70, 64},
                  Shape{130, 33, 301}, Shape{7, 130, 768}}) {
    const auto x = Random(static_cast<size_t>(s.m) * s.k, 31 + s.k);
    const auto w = Random(static_cast<size_t>(s.n) * s.k, 32 + s.k, -0.1f, 0.1f);
    const auto bias = Random(s.n, 33);
    std::vector<float> want_q8, want_f32(static_cast<size_t>(s.m) * s.n);
    ReferenceQ8(w, bias, s.n, s.k, x, s.m, &want_q8);
    LinearReference(w.data(), bias.data(), s.n, s.k, x.data(), s.m, Activation::kNone, nullptr, want_f32.data());
    auto packed = PackLinearQ8(w.data(), bias.data(), s.n, s.k);
    ASSERT_NE(packed, nullptr);
    EXPECT_EQ(packed->n(), s.n);
    EXPECT_EQ(packed->k(), s.k);
    std::vector<float> got(want_q8.size(), NAN);
    LinearForward(*packed, x.data(), s.m, Activation::kNone, nullptr, got.data(), DefaultThreadPool());
    double max_q8 = 0, max_f32 = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      max_q8 = std::max(max_q8, std::fabs(static_cast<double>(got[i]) - want_q8[i]) / (1.0 + std::fabs(want_q8[i])));
      max_f32 = std::max(max_f32, std::fabs(static_cast<double>(got[i]) - want_f32[i]));
    }
    EXPECT_LT(max_q8, 1e-6) << "m=" << s.m << " n=" << s.n << " k=" << s.k;
    // Quantisation error: each product carries ~1/254 relative error per operand.
    const double bound = 0.1 * 1.0 * std::sqrt(static_cast<double>(s.k)) * (2.0 / 254.0) + 1e-6;
    EXPECT_LT(max_f32, bound) << "m=" << s.m << " n=" << s.n << " k=" << s.k;
  }
}

TEST(KernelsGemmQ8Linear, EpilogueAndThreads) {
  const int32_t m = 70, n = 100, k = 200;
  const auto x = Random(static_cast<size_t>(m) * k, 41);
  const auto w = Random(static_cast<size_t>(n) * k, 42, -0.1f, 0.1f);
  const auto bias = Random(n, 43);
  const auto res = Random(static_cast<size_t>(m) * n, 44);
  auto packed = PackLinearQ8(w.data(), bias.data(), n, k);
  ASSERT_NE(packed, nullptr);
  std::vector<float> plain(static_cast<size_t>(m) * n);
  LinearForward(*packed, x.data(), m, Activation::kNone, nullptr, plain.data(), DefaultThreadPool());
  std::vector<float> first;
  for (int threads : {1, 2, 3}) {
    SetNumThreads(threads);
    std::vector<float> y = res;  // residual aliased with the output
    LinearForward(*packed, x.data(), m, Activation::kGeluErf, y.data(), y.data(), DefaultThreadPool());
    if (first.empty()) {
      first = y;
      for (size_t i = 0; i < y.size(); ++i) {
        float g = plain[i];
        ApplyActivationReference(Activation::kGeluErf, &g, 1);
        ASSERT_NEAR(y[i], g + res[i], 1e-6f * (1 + std::fabs(y[i])));
      }
    } else {
      ASSERT_EQ(0, std::memcmp(first.data(), y.data(), sizeof(float) * y.size())) << "threads=" << threads;
    }
  }
  SetNumThreads(1);
}

TEST(KernelsGemmQ8Pack, ZeroRowAndLayout) {
  std::vector<float> w(3 * 5, 0.0f);
  w[5 + 3] = -2.0f;  // row 1: max |w| = 2 -> scale 2/127
  auto packed = PackLinearQ8(w.data(), nullptr, 3, 5);
  ASSERT_NE(packed, nullptr);
  const auto& q8 = static_cast<const PackedLinearQ8&>(*packed);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q8.weights(0)) % 16, 0u);
  EXPECT_EQ(q8.scale(0)[0], 0.0f);
  EXPECT_FLOAT_EQ(q8.scale(0)[1], 2.0f / 127.0f);
  EXPECT_EQ(q8.weights(0)[1 * 16 + 1 * 2 + 1], -127);  // k=3 -> pair 1, odd slot; column 1
}

}  // namespace
}  // namespace bt

namespace bt {
namespace {

// QuantizeRowsQ8 (4 lanes at a time) equals its definition element by element: scale = max|row| / 127,
// q = nearbyint(x · 127 / max|row|) in [-127, 127], stored at pair kk/2 of the row's tile slot; odd k
// leaves a zero in the last pair; ties round to even.
TEST(KernelsGemmQ8Quantize, RowsEqualTheDefinition) {
  for (const int32_t k : {1, 3, 4, 5, 8, 13, 768, 771}) {
    SCOPED_TRACE("k=" + std::to_string(k));
    const int32_t m = 7;
    const size_t kp = (k + 1) / 2;
    auto x = Random(static_cast<size_t>(m) * k, 200 + k, -3.0f, 3.0f);
    std::fill(x.begin() + k, x.begin() + 2 * k, 0.0f);  // a zero row: scale 0, all q 0
    if (k >= 4) {  // exact ties: max 127 so that x * inv = x
      x[2 * k] = 127.0f;
      x[2 * k + 1] = 2.5f;
      x[2 * k + 2] = -3.5f;
      x[2 * k + 3] = 0.5f;
    }
    std::vector<int16_t> q(Q8TileElements(m, kp), 99);
    std::vector<float> scale(m);
    QuantizeRowsQ8(x.data(), 0, m, k, kp, q.data(), scale.data());
    for (int32_t r = 0; r < m; ++r) {
      const float* row = x.data() + static_cast<size_t>(r) * k;
      float max_abs = 0.0f;
      for (int32_t i = 0; i < k; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
      const float inv = max_abs > 0.0f ? 127.0f / max_abs : 0.0f;
      EXPECT_EQ(scale[r], max_abs / 127.0f) << "row " << r;
      const int16_t* qr = q.data() + static_cast<size_t>(r / kGemmMR) * kGemmMR * 2 * kp + (r % kGemmMR) * 2;
      for (int32_t i = 0; i < k; ++i) {
        const float want = std::max(-127.0f, std::min(127.0f, std::nearbyint(row[i] * inv)));
        EXPECT_EQ(qr[(i / 2) * 2 * kGemmMR + i % 2], static_cast<int16_t>(want)) << "row " << r << " k " << i;
      }
      if (k % 2 != 0) EXPECT_EQ(qr[(k / 2) * 2 * kGemmMR + 1], 0) << "row " << r;
    }
    if (k >= 4) {
      const int16_t* q2 = q.data() + 2 * 2;  // row 2 of tile 0
      EXPECT_EQ(q2[1], 2);                    // 2.5 → 2
      EXPECT_EQ(q2[2 * kGemmMR], -4);         // -3.5 → -4
      EXPECT_EQ(q2[2 * kGemmMR + 1], 0);      // 0.5 → 0
    }
  }
}

}  // namespace
}  // namespace bt
