// Activations, LayerNorm and softmax against double-precision references.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/activation.h"
#include "kernels/gemm_internal.h"
#include "kernels/norm.h"

namespace bt {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double ActivationRef(Activation act, double x) {
  switch (act) {
    case Activation::kNone: return x;
    case Activation::kGeluErf: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::kGeluTanh:
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::kRelu: return x > 0 ? x : 0;
    case Activation::kTanh: return std::tanh(x);
  }
  return 0;
}

std::vector<float> ActivationInputs() {
  // Dense sweep of [-12, 12] plus random values; odd count so the vector tail is exercised.
  std::vector<float> x;
  for (int i = -1200000; i <= 1200000; ++i) x.push_back(i * 1e-5f);
  const auto extra = Random(1003, 5, -60.0f, 60.0f);
  x.insert(x.end(), extra.begin(), extra.end());
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, 3e38f, -3e38f}) x.push_back(v);
  return x;
}

TEST(KernelsActivation, ReferenceMatchesDouble) {
  const std::vector<float> x = ActivationInputs();
  for (Activation act : {Activation::kNone, Activation::kGeluErf, Activation::kGeluTanh, Activation::kRelu,
                         Activation::kTanh}) {
    std::vector<float> y = x;
    ApplyActivationReference(act, y.data(), static_cast<int64_t>(y.size()));
    double max_err = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (std::fabs(x[i]) > 1e6f) continue;  // x^3 overflows in the tanh form's double twin too
      // Relative above 1, absolute below: 1+erf/1+tanh cancel for x << 0 in any float implementation.
      const double want = ActivationRef(act, x[i]);
      max_err = std::max(max_err, std::fabs(y[i] - want) / std::max(1.0, std::fabs(want)));
    }
    EXPECT_LT(max_err, 3e-7) << "act=" << static_cast<int>(act);
  }
}

// The vectorised GELUs against libm (the phase-1 definition) and against double precision.
// "mixed" error = |d| / max(1, |y|): absolute below 1, relative above. For x << 0 the float
// inputs themselves limit relative accuracy (rounding z = x/sqrt2 moves erfc(|z|) by ~2z^2 ulp),
// and libm's 0.5x(1 + erf) loses more there to cancellation, so relative error is judged for x >= 0.
TEST(KernelsActivation, VectorGeluMatchesLibm) {
  const std::vector<float> x = ActivationInputs();
  for (Activation act : {Activation::kGeluErf, Activation::kGeluTanh}) {
    std::vector<float> fast = x, libm = x;
    ApplyActivation(act, fast.data(), static_cast<int64_t>(fast.size()));
    ApplyActivationReference(act, libm.data(), static_cast<int64_t>(libm.size()));
    double mixed_libm = 0, mixed_exact = 0, rel_pos_exact = 0, rel_tail_exact = 0, libm_mixed_exact = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_FALSE(std::isnan(fast[i])) << x[i];
      if (std::fabs(x[i]) > 1e6f) {
        ASSERT_NEAR(fast[i], x[i] > 0 ? x[i] : 0.0f, 1e-6f * std::fabs(x[i])) << x[i];
        continue;
      }
      const double exact = ActivationRef(act, x[i]);
      const double d_exact = std::fabs(fast[i] - exact);
      mixed_libm = std::max(mixed_libm, std::fabs(fast[i] - libm[i]) / std::max(1.0, std::fabs(exact)));
      mixed_exact = std::max(mixed_exact, d_exact / std::max(1.0, std::fabs(exact)));
      libm_mixed_exact = std::max(libm_mixed_exact, std::fabs(libm[i] - exact) / std::max(1.0, std::fabs(exact)));
      if (x[i] > 0) rel_pos_exact = std::max(rel_pos_exact, d_exact / exact);
      if (std::fabs(exact) >= 1e-3) rel_tail_exact = std::max(rel_tail_exact, d_exact / std::fabs(exact));
    }
    std::printf("gelu act=%d: mixed err vs libm %.3g, vs exact %.3g (libm itself %.3g); rel err vs exact x>0 %.3g, "
                "|y|>=1e-3 %.3g\n", static_cast<int>(act), mixed_libm, mixed_exact, libm_mixed_exact, rel_pos_exact,
                rel_tail_exact);
    // Against libm the bound is ours-vs-exact plus libm's own error (triangle inequality).
    EXPECT_LT(mixed_libm, 2.5e-7 + libm_mixed_exact);
    EXPECT_LT(mixed_exact, 2.5e-7);
    EXPECT_LT(rel_pos_exact, 2.5e-7);
    EXPECT_LT(rel_tail_exact, 2e-6);
  }
}

TEST(KernelsLayerNorm, MatchesDoubleReference) {
  for (int32_t n : {1, 7, 8, 9, 128, 768, 1001}) {
    const int32_t rows = 37;
    auto x = Random(static_cast<size_t>(rows) * n, n, -3.0f, 5.0f);  // mean ~1, not centred
    const auto gamma = Random(n, 2, 0.5f, 1.5f);
    const auto beta = Random(n, 3, -0.5f, 0.5f);
    const auto orig = x;
    for (int threads : {1, 2}) {
      SetNumThreads(threads);
      x = orig;
      LayerNorm(x.data(), rows, n, gamma.data(), beta.data(), 1e-12f, DefaultThreadPool());
      for (int32_t r = 0; r < rows; ++r) {
        const float* row = orig.data() + static_cast<size_t>(r) * n;
        double mean = 0, var = 0;
        for (int32_t i = 0; i < n; ++i) mean += row[i];
        mean /= n;
        for (int32_t i = 0; i < n; ++i) var += (row[i] - mean) * (row[i] - mean);
        var /= n;
        for (int32_t i = 0; i < n; ++i) {
          const double want = (row[i] - mean) / std::sqrt(var + 1e-12) * gamma[i] + beta[i];
          ASSERT_NEAR(x[static_cast<size_t>(r) * n + i], want, 2e-6) << "n=" << n << " r=" << r << " i=" << i;
        }
      }
    }
  }
  SetNumThreads(1);
}

TEST(KernelsLayerNorm, ConstantRowGivesBeta) {
  std::vector<float> x(64, 3.25f), gamma(64, 2.0f), beta(64, 0.5f);
  LayerNorm(x.data(), 1, 64, gamma.data(), beta.data(), 1e-5f, DefaultThreadPool());
  for (float v : x) EXPECT_EQ(v, 0.5f);
}

TEST(KernelsSoftmax, MatchesDoubleReference) {
  for (int32_t n : {1, 2, 3, 4, 5, 8, 15, 16, 17, 128, 513}) {
    auto x = Random(n, n, -20.0f, 20.0f);
    const auto orig = x;
    SoftmaxRow(x.data(), n);
    double max = orig[0];
    for (float v : orig) max = std::max<double>(max, v);
    double sum = 0;
    for (float v : orig) sum += std::exp(v - max);
    for (int32_t i = 0; i < n; ++i) {
      const double want = std::exp(orig[i] - max) / sum;
      ASSERT_NEAR(x[i], want, 1e-6 * want + 1e-9) << "n=" << n << " i=" << i;
    }
  }
}

TEST(KernelsSoftmax, ExtremeValues) {
  std::vector<float> x = {-1e30f, 0.0f, 1e30f, -1e30f};
  SoftmaxRow(x.data(), 4);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_EQ(x[2], 1.0f);
}

// The attention's fused softmax + packing against its definition, bitwise: scale the rows, SoftmaxRow,
// f32_pack_a4 (scalar) — over tails of every length, 1-4 rows, extreme and non-finite scores.
TEST(KernelsSoftmax, ScaledSoftmaxPack4IsScaleSoftmaxPack) {
  for (int32_t n : {1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 128, 130, 515}) {
    for (size_t mr = 1; mr <= 4; ++mr) {
      for (int variant = 0; variant < 3; ++variant) {
        const size_t stride = static_cast<size_t>((n + 7) / 8 * 8);
        auto tile = Random(4 * stride, static_cast<uint32_t>(n * 10 + mr), -30.0f, 30.0f);
        if (variant == 1) tile[0] = 1e30f, tile[stride + n - 1] = -1e30f;  // extremes: an exact 1 and 0
        if (variant == 2) tile[n / 2] = NAN, tile[stride] = INFINITY;       // a NaN row; inf - inf
        const float scale = variant == 0 ? 0.125f : 0.17677669f;
        std::vector<float> want_rows = tile, got_rows = tile;
        for (size_t r = 0; r < mr; ++r) {
          float* row = want_rows.data() + r * stride;
          for (int32_t t = 0; t < n; ++t) row[t] *= scale;
          SoftmaxRow(row, n);
        }
        std::vector<float> want(4 * static_cast<size_t>(n)), got(want.size(), -1.0f);
        f32_pack_a4__scalar(mr, n, want_rows.data(), stride, want.data());
        float inv[4];
        ScaledSoftmaxPack4(mr, n, scale, got_rows.data(), stride, got.data(), inv);
        for (size_t i = 0; i < want.size(); ++i) {
          const bool same = std::memcmp(&want[i], &got[i], sizeof(float)) == 0 || (std::isnan(want[i]) && std::isnan(got[i]));
          ASSERT_TRUE(same) << "n=" << n << " mr=" << mr << " variant=" << variant << " i=" << i << ": " << want[i]
                            << " vs " << got[i];
        }
        for (size_t r = 0; r < mr; ++r) {  // rows hold the exponentials: row * inv is the probability
          for (int32_t t = 0; t < n; ++t) {
            const float p = got_rows[r * stride + t] * inv[r], w = want_rows[r * stride + t];
            ASSERT_TRUE(std::memcmp(&p, &w, sizeof(float)) == 0 || (std::isnan(p) && std::isnan(w))) << "n=" << n << " row " << r;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace bt
