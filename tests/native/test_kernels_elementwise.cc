// Activations, LayerNorm and softmax against double-precision references.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/activation.h"
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

TEST(KernelsActivation, MatchesDoubleReference) {
  // Dense sweep of [-10, 10] plus random values; sizes cover any vector tail.
  std::vector<float> x;
  for (int i = -100000; i <= 100000; ++i) x.push_back(i * 1e-4f);
  const auto extra = Random(1003, 5, -30.0f, 30.0f);
  x.insert(x.end(), extra.begin(), extra.end());
  x.push_back(0.0f);
  x.push_back(-0.0f);
  for (Activation act : {Activation::kNone, Activation::kGeluErf, Activation::kGeluTanh, Activation::kRelu,
                         Activation::kTanh}) {
    std::vector<float> y = x;
    ApplyActivation(act, y.data(), static_cast<int64_t>(y.size()));
    double max_err = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = ActivationRef(act, x[i]);
      // Relative above 1, absolute below: 1+erf/1+tanh cancel for x << 0 in any float implementation.
      const double err = std::fabs(y[i] - want) / std::max(1.0, std::fabs(want));
      max_err = std::max(max_err, err);
      ASSERT_FALSE(std::isnan(y[i])) << x[i];
    }
    // float rounding of the result alone is 6e-8; libm erff/tanhf add ~1 ulp.
    EXPECT_LT(max_err, 3e-7) << "act=" << static_cast<int>(act);
    std::printf("activation %d: max error %.3g\n", static_cast<int>(act), max_err);
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

}  // namespace
}  // namespace bt
