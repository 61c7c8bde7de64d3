// Int8 GEMM: SIMD microkernels vs the scalar references (exact integers; c2 and c4 layouts, the
// relaxed-SIMD kernels where linked), the activation quantisation vs its definition, LinearForward on
// PackLinearQ8 weights vs a plain-loop quantised reference and vs f32, bitwise equality of the
// layouts, thread-count invariance.
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

// The relaxed-SIMD c4 kernels, where this build links them (relaxed wasm builds), else none.
extern "C" __attribute__((weak)) const struct bt_relaxed_q8_kernels* bt_relaxed_q8_kernels_get(void);

TEST(KernelsGemmQ8Ukernel, SimdMatchesScalarExactly) {
  std::vector<std::pair<const char*, Q8PpmmUkernelFn>> kernels;
#if defined(__SSE2__)
  kernels.push_back({"sse2", qd8_qc8w_ppmm_ukernel_4x8c2__sse2});
#endif
#if defined(__wasm_simd128__)
  kernels.push_back({"wasmsimd", qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2});
#endif
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> qa(0, 127), qw(-127, 127);
  for (const auto& [name, fn] : kernels) {
    for (size_t kp : {1, 2, 3, 4, 7, 8, 9, 384, 1536}) {
      for (size_t nc : {8, 16, 40}) {
        const size_t w_stride = 16 * kp + 32, c_stride = nc + 3;
        std::vector<int16_t> a(8 * kp);
        std::vector<int8_t> w(w_stride * (nc / 8));
        for (auto& v : a) v = static_cast<int16_t>(qa(rng));
        for (auto& v : w) v = static_cast<int8_t>(qw(rng));
        std::vector<int32_t> want(4 * c_stride, -1), got(4 * c_stride, -1);
        qd8_qc8w_ppmm_ukernel_4x8c2__scalar(nc, kp, a.data(), w.data(), w_stride, want.data(), c_stride);
        fn(nc, kp, a.data(), w.data(), w_stride, got.data(), c_stride);
        ASSERT_EQ(got, want) << name << " kp=" << kp << " nc=" << nc;
      }
    }
  }
}

// The c4 layout holds the same values as c2 regrouped: the two scalar kernels (and the relaxed ones,
// where linked) give the same sums, including the extreme values (0 and 127 activations against
// -64 and 64 weights, where the 16-bit sums of the pmaddubsw lowering — two pair sums added before
// widening in dot16 — are largest), over odd and even quad counts (dot16's last odd quad).
TEST(KernelsGemmQ8Ukernel, C4MatchesC2Exactly) {
  std::vector<std::pair<const char*, Q8C4PpmmUkernelFn>> kernels = {{"c4 scalar", qd8_qc8w_ppmm_ukernel_4x8c4__scalar}};
  if (bt_relaxed_q8_kernels_get != nullptr) {
    kernels.push_back({"c4 relaxed dot_add", bt_relaxed_q8_kernels_get()->dot_add});
    kernels.push_back({"c4 relaxed dot16", bt_relaxed_q8_kernels_get()->dot16});
  }
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> qa(0, 127), qw(-kQ8WeightMax, kQ8WeightMax), pick(0, 3);
  for (size_t kq : {1, 2, 3, 5, 8, 96, 768}) {
    for (size_t nc : {8, 16, 40}) {
      for (int extreme = 0; extreme < 2; ++extreme) {
        const size_t k = 4 * kq, panels = nc / 8;
        // values[r][kk], weights[col][kk]
        std::vector<int> av(4 * k), wv(nc * k);
        for (auto& v : av) v = extreme ? (pick(rng) == 0 ? 0 : 127) : qa(rng);
        for (auto& v : wv) v = extreme ? (pick(rng) < 2 ? kQ8WeightMax : -kQ8WeightMax) : qw(rng);
        const size_t c2_stride = 16 * (k / 2) + 48, c4_stride = 32 * kq + 64;
        std::vector<int16_t> a2(8 * (k / 2));
        std::vector<int8_t> a4(16 * kq), w2(c2_stride * panels), w4(c4_stride * panels);
        for (int r = 0; r < 4; ++r) {
          for (size_t kk = 0; kk < k; ++kk) {
            a2[(kk / 2) * 8 + r * 2 + kk % 2] = static_cast<int16_t>(av[r * k + kk]);
            a4[(kk / 4) * 16 + r * 4 + kk % 4] = static_cast<int8_t>(av[r * k + kk]);
          }
        }
        for (size_t col = 0; col < nc; ++col) {
          const size_t p = col / 8, j = col % 8;
          for (size_t kk = 0; kk < k; ++kk) {
            const auto v = static_cast<int8_t>(wv[col * k + kk]);
            w2[p * c2_stride + PackedLinearQ8::WeightOffset(2, static_cast<int32_t>(j), static_cast<int32_t>(kk))] = v;
            w4[p * c4_stride + PackedLinearQ8::WeightOffset(4, static_cast<int32_t>(j), static_cast<int32_t>(kk))] = v;
          }
        }
        const size_t c_stride = nc + 5;
        std::vector<int32_t> want(4 * c_stride, -1);
        qd8_qc8w_ppmm_ukernel_4x8c2__scalar(nc, k / 2, a2.data(), w2.data(), c2_stride, want.data(), c_stride);
        for (int r = 0; r < 4; ++r) {  // and the plain definition
          for (size_t col = 0; col < nc; ++col) {
            int64_t sum = 0;
            for (size_t kk = 0; kk < k; ++kk) sum += av[r * k + kk] * wv[col * k + kk];
            ASSERT_EQ(want[r * c_stride + col], sum);
          }
        }
        for (const auto& [name, fn] : kernels) {
          std::vector<int32_t> got(4 * c_stride, -1);
          fn(nc, kq, a4.data(), w4.data(), c4_stride, got.data(), c_stride);
          ASSERT_EQ(got, want) << name << " kq=" << kq << " nc=" << nc << " extreme=" << extreme;
        }
      }
    }
  }
}

// The activation rule of gemm_internal.h written out plainly, one element at a time.
struct ReferenceRow {
  float scale = 0.0f;
  int32_t zero = 0;
  std::vector<int32_t> q;
};
ReferenceRow QuantizeReference(const float* row, int32_t k) {
  float lo = 0.0f, hi = 0.0f;
  bool nan = false;
  for (int32_t i = 0; i < k; ++i) {
    if (row[i] < lo) lo = row[i];
    if (row[i] > hi) hi = row[i];
    nan |= std::isnan(row[i]);
  }
  ReferenceRow out;
  const float range = hi - lo;
  const bool usable = range >= 0x1p-120f && std::isfinite(range);  // 127 / range must be finite
  const float inv = usable ? 127.0f / range : 0.0f;
  out.scale = nan ? NAN : range / 127.0f;  // NaN in, NaN out: the range ignores NaN, the scale does not
  out.zero = usable ? static_cast<int32_t>(std::nearbyint(-lo * inv)) : 0;
  out.q.resize(k);
  for (int32_t i = 0; i < k; ++i) {
    const float v = std::nearbyint(row[i] * inv) + static_cast<float>(out.zero);
    out.q[i] = std::isnan(v) ? 0 : static_cast<int32_t>(std::min(127.0f, std::max(0.0f, v)));
  }
  return out;
}

TEST(KernelsGemmQ8Ukernel, ScalarIsTheDefinitionOnQuantisedTiles) {
  // Rows quantised into 4-row tiles (with a padded last tile) times one panel equal plain dot
  // products of the quantised values, in both layouts.
  const int32_t m = 6, k = 5;
  const auto x = Random(static_cast<size_t>(m) * k, 51);
  for (int kr : {2, 4}) {
    const size_t padded_k = (k + kr - 1) / kr * kr;
    std::vector<uint8_t> q(Q8TileBytes(m, padded_k, kr), 99);
    std::vector<float> scale(m);
    std::vector<int32_t> zero(m);
    QuantizeRowsQ8(x.data(), 0, m, k, padded_k, kr, q.data(), scale.data(), zero.data());
    ZeroQ8PaddingRows(m, padded_k, kr, q.data());
    std::vector<int8_t> w(8 * padded_k);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
    for (int32_t kk = k; kk < static_cast<int32_t>(padded_k); ++kk) {  // padding weights are zero
      for (int32_t j = 0; j < 8; ++j) w[PackedLinearQ8::WeightOffset(kr, j, kk)] = 0;
    }
    const size_t tile_bytes = Q8TileBytes(4, padded_k, kr);
    for (int32_t tile = 0; tile < 2; ++tile) {
      std::vector<int32_t> c(4 * 8);
      if (kr == 2) {
        qd8_qc8w_ppmm_ukernel_4x8c2__scalar(8, padded_k / 2, reinterpret_cast<const int16_t*>(q.data() + tile * tile_bytes),
                                            w.data(), 8 * padded_k, c.data(), 8);
      } else {
        qd8_qc8w_ppmm_ukernel_4x8c4__scalar(8, padded_k / 4, reinterpret_cast<const int8_t*>(q.data() + tile * tile_bytes),
                                            w.data(), 8 * padded_k, c.data(), 8);
      }
      for (int32_t r = 0; r < 4; ++r) {
        const int32_t row = tile * 4 + r;
        const ReferenceRow ref = row < m ? QuantizeReference(&x[row * k], k) : ReferenceRow{};
        if (row < m) {
          EXPECT_EQ(scale[row], ref.scale);
          EXPECT_EQ(zero[row], ref.zero);
        }
        for (int j = 0; j < 8; ++j) {
          int32_t want = 0;
          for (int32_t kk = 0; kk < k && row < m; ++kk) want += ref.q[kk] * w[PackedLinearQ8::WeightOffset(kr, j, kk)];
          EXPECT_EQ(c[r * 8 + j], want) << "kr " << kr << " row " << row << " col " << j;
        }
      }
    }
  }
}

// Quantised math with plain loops: weights q = round(w * 64 / max|row|) (7-bit), activations as defined in
// gemm_internal.h (QuantizeReference), y = (sum q_x q_w) * scale_x * scale_w + bias with the zero
// point taken out of the sum.
void ReferenceQ8(const std::vector<float>& w, const std::vector<float>& bias, int32_t n, int32_t k,
                 const std::vector<float>& x, int32_t m, std::vector<float>* y) {
  y->assign(static_cast<size_t>(m) * n, 0.0f);
  std::vector<int> qw(k);
  for (int32_t i = 0; i < m; ++i) {
    const ReferenceRow rx = QuantizeReference(&x[static_cast<size_t>(i) * k], k);
    for (int32_t j = 0; j < n; ++j) {
      float max_abs = 0;
      for (int32_t t = 0; t < k; ++t) max_abs = std::max(max_abs, std::fabs(w[static_cast<size_t>(j) * k + t]));
      const float inv = max_abs > 0 ? 64.0f / max_abs : 0.0f;
      int64_t acc = 0;
      for (int32_t t = 0; t < k; ++t) {
        acc += static_cast<int64_t>(rx.q[t] - rx.zero) * static_cast<int>(std::nearbyint(w[static_cast<size_t>(j) * k + t] * inv));
      }
      (*y)[static_cast<size_t>(i) * n + j] = static_cast<float>(acc) * (rx.scale * (max_abs / 64.0f)) + bias[j];
    }
  }
}

TEST(KernelsGemmQ8Linear, MatchesQuantisedReferenceAndF32) {
  struct Shape { int32_t m, n, k; };
  for (Shape s : {Shape{1, 1, 1}, Shape{3, 7, 5}, Shape{4, 8, 8}, Shape{5, 9, 17}, Shape{65, 70, 64},
                  Shape{130, 33, 301}, Shape{7, 130, 768}}) {
    auto x = Random(static_cast<size_t>(s.m) * s.k, 31 + s.k);
    if (s.m > 4) {  // rows of one sign (the range then starts or ends at 0)
      for (int32_t t = 0; t < s.k; ++t) x[t] = std::fabs(x[t]), x[s.k + t] = -std::fabs(x[s.k + t]);
    }
    const auto w = Random(static_cast<size_t>(s.n) * s.k, 32 + s.k, -0.1f, 0.1f);
    const auto bias = Random(s.n, 33);
    std::vector<float> want_q8, want_f32(static_cast<size_t>(s.m) * s.n);
    ReferenceQ8(w, bias, s.n, s.k, x, s.m, &want_q8);
    LinearReference(w.data(), bias.data(), s.n, s.k, x.data(), s.m, Activation::kNone, nullptr, want_f32.data());
    for (int kr : {0, 2, 4}) {  // 0: the build's own layout through the public packer
      auto packed = kr == 0 ? PackLinearQ8(w.data(), bias.data(), s.n, s.k)
                            : PackLinearQ8WithLayout(w.data(), bias.data(), s.n, s.k, kr);
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
      EXPECT_LT(max_q8, 1e-6) << "kr=" << kr << " m=" << s.m << " n=" << s.n << " k=" << s.k;
      // Quantisation error: activations carry up to range/254 (range <= 2 here), 7-bit weights max|w|/128
      // (|x| <= 1): per term 0.1 * 2/254 + 0.1/128 ~ 0.1 * 4/254.
      const double bound = 0.1 * std::sqrt(static_cast<double>(s.k)) * (4.0 / 254.0) + 1e-6;
      EXPECT_LT(max_f32, bound) << "kr=" << kr << " m=" << s.m << " n=" << s.n << " k=" << s.k;
    }
  }
}

// The two weight layouts (and so the SIMD128 and relaxed-SIMD builds) give bitwise-identical outputs,
// column ranges included.
TEST(KernelsGemmQ8Linear, LayoutsAreBitwiseEqual) {
  for (int32_t k : {1, 3, 5, 64, 301, 771}) {
    const int32_t m = 37, n = 45;
    auto x = Random(static_cast<size_t>(m) * k, 60 + k, -4.0f, 2.0f);
    const auto w = Random(static_cast<size_t>(n) * k, 61 + k, -0.2f, 0.2f);
    const auto bias = Random(n, 62);
    auto c2 = PackLinearQ8WithLayout(w.data(), bias.data(), n, k, 2);
    auto c4 = PackLinearQ8WithLayout(w.data(), bias.data(), n, k, 4);
    ASSERT_NE(c2, nullptr);
    ASSERT_NE(c4, nullptr);
    std::vector<float> y2(static_cast<size_t>(m) * n), y4(y2.size());
    LinearForward(*c2, x.data(), m, Activation::kGeluErf, nullptr, y2.data(), DefaultThreadPool());
    LinearForward(*c4, x.data(), m, Activation::kGeluErf, nullptr, y4.data(), DefaultThreadPool());
    ASSERT_EQ(0, std::memcmp(y2.data(), y4.data(), sizeof(float) * y2.size())) << "k=" << k;
    const LinearColumns cols{9, 30, 21};
    std::vector<float> r2(static_cast<size_t>(m) * 21), r4(r2.size());
    LinearForward(*c2, x.data(), m, Activation::kNone, nullptr, r2.data(), DefaultThreadPool(), &cols);
    LinearForward(*c4, x.data(), m, Activation::kNone, nullptr, r4.data(), DefaultThreadPool(), &cols);
    ASSERT_EQ(0, std::memcmp(r2.data(), r4.data(), sizeof(float) * r2.size())) << "k=" << k;
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
  w[5 + 3] = -2.0f;     // row 1: max |w| = 2 -> scale 2/64
  w[5 + 1] = 0.515625f;  // 16.5 -> 16 (ties to even)
  for (int kr : {2, 4}) {
    auto packed = PackLinearQ8WithLayout(w.data(), nullptr, 3, 5, kr);
    ASSERT_NE(packed, nullptr);
    const auto& q8 = static_cast<const PackedLinearQ8&>(*packed);
    EXPECT_EQ(q8.kr(), kr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(q8.weights(0)) % 16, 0u);
    EXPECT_EQ(q8.scale(0)[0], 0.0f);
    EXPECT_FLOAT_EQ(q8.scale(0)[1], 2.0f / 64.0f);
    EXPECT_EQ(q8.weight(0, 1, 3), -64);
    EXPECT_EQ(q8.weights(0)[kr == 2 ? 1 * 16 + 1 * 2 + 1 : 0 * 32 + 1 * 4 + 3], -64);  // k=3 of column 1
    EXPECT_EQ(q8.weight(0, 1, 1), 16);
    EXPECT_EQ(q8.column_sums(0)[0], 0);
    EXPECT_EQ(q8.column_sums(0)[1], 16 - 64);
    EXPECT_EQ(q8.column_sums(0)[2], 0);
  }
}

}  // namespace
}  // namespace bt

namespace bt {
namespace {

// QuantizeRowsQ8 (4 lanes at a time) equals its definition (QuantizeReference) element by element, in
// both layouts: scale = (hi - lo) / 127, zero point and q in [0, 127]; padding k and rows are zero;
// ties round to even; zero rows, one-signed rows, NaN, infinity and denormal rows are deterministic.
TEST(KernelsGemmQ8Quantize, RowsEqualTheDefinition) {
  for (const int kr : {2, 4}) {
    for (const int32_t k : {1, 3, 4, 5, 8, 13, 768, 771}) {
      SCOPED_TRACE("kr=" + std::to_string(kr) + " k=" + std::to_string(k));
      const int32_t m = 10;
      const size_t padded_k = (k + kr - 1) / kr * kr;
      auto x = Random(static_cast<size_t>(m) * k, 200 + k, -3.0f, 3.0f);
      std::fill(x.begin() + k, x.begin() + 2 * k, 0.0f);  // a zero row: scale 0, all q 0
      if (k >= 4) {  // exact ties: range 127 (lo -63.5 -> zero point 64) so that x * inv = x
        x[2 * k] = 63.5f;
        x[2 * k + 1] = -63.5f;
        x[2 * k + 2] = 2.5f;
        x[2 * k + 3] = -3.5f;
        for (int32_t i = 4; i < k; ++i) x[2 * k + i] = 0.5f;
      }
      for (int32_t i = 0; i < k; ++i) x[3 * k + i] = std::fabs(x[3 * k + i]) + 0.25f;  // positive row: lo = 0
      for (int32_t i = 0; i < k; ++i) x[4 * k + i] = -std::fabs(x[4 * k + i]);        // negative row: hi = 0
      x[5 * k + k / 2] = NAN;                                                            // NaN: ignored by the range, scale NaN
      x[6 * k + k / 2] = INFINITY;                                                       // a row with infinity
      x[7 * k] = 3e38f, x[7 * k + (k > 1 ? 1 : 0)] = -3e38f;                            // range overflows
      for (int32_t i = 0; i < k; ++i) x[9 * k + i] = std::fabs(x[9 * k + i]) * 1e-39f;  // denormal row: 127 / range overflows
      std::vector<uint8_t> q(Q8TileBytes(m, padded_k, kr) + 64, 99);
      std::vector<float> scale(m);
      std::vector<int32_t> zero(m);
      QuantizeRowsQ8(x.data(), 0, m, k, padded_k, kr, q.data(), scale.data(), zero.data());
      ZeroQ8PaddingRows(m, padded_k, kr, q.data());
      for (int32_t r = 0; r < m; ++r) {
        const ReferenceRow ref = QuantizeReference(x.data() + static_cast<size_t>(r) * k, k);
        if (std::isnan(ref.scale)) {
          EXPECT_TRUE(std::isnan(scale[r])) << "row " << r;
        } else {
          EXPECT_EQ(scale[r], ref.scale) << "row " << r;
        }
        EXPECT_EQ(zero[r], ref.zero) << "row " << r;
        for (int32_t i = 0; i < k; ++i) EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, r, i), ref.q[i]) << "row " << r << " k " << i;
        for (int32_t i = k; i < static_cast<int32_t>(padded_k); ++i) EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, r, i), 0);
      }
      for (int32_t r = m; r < (m + 3) / 4 * 4; ++r) {
        for (int32_t i = 0; i < static_cast<int32_t>(padded_k); ++i) EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, r, i), 0);
      }
      EXPECT_TRUE(std::isnan(scale[5]));
      EXPECT_TRUE(std::isinf(scale[6]));
      EXPECT_EQ(zero[9], 0);  // was NaN -> int (fuzzing, FINDINGS.md F6)
      for (int32_t r = 0; r < k; ++r) EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, 9, r), 0);
      for (int32_t r : {0, 1, 2, 3, 4, 8, 9}) EXPECT_TRUE(std::isfinite(scale[r])) << "row " << r;
      EXPECT_EQ(zero[1], 0);
      EXPECT_EQ(zero[3], 0);
      EXPECT_EQ(zero[4], 127);
      if (k >= 4) {
        EXPECT_EQ(zero[2], 64);
        EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, 2, 0), 127);  // 63.5 -> 64, + 64 -> 128 -> 127
        EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, 2, 1), 0);    // -63.5 -> -64, + 64
        EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, 2, 2), 66);   // 2.5 -> 2
        EXPECT_EQ(Q8ActivationAt(q.data(), padded_k, kr, 2, 3), 60);   // -3.5 -> -4
      }
    }
  }
}

}  // namespace
}  // namespace bt
