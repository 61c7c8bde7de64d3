// kernels/dot.h against a double-precision oracle: DotF32 (four partial sums) and its scalar form stay
// within the standard floating-point summation bound for every length 0..67 (every tail length), and
// AxpyF32 is y + alpha*x rounded once per element.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/dot.h"

namespace bt {
namespace {

std::vector<float> Random(int32_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(KernelsDot, BothFormsWithinTheSummationBoundOfTheExactDot) {
  for (int32_t n = 0; n <= 67; ++n) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const std::vector<float> a = Random(n, 11 + n), b = Random(n, 1000 + n);
    double exact = 0.0, magnitude = 0.0;
    for (int32_t i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    // |computed - exact| <= (n + 1) * eps * sum |a_i b_i| for any order of n float additions.
    const double bound = (n + 1) * static_cast<double>(FLT_EPSILON) * magnitude + 1e-30;
    EXPECT_LE(std::fabs(DotF32(a.data(), b.data(), n) - exact), bound);
    EXPECT_LE(std::fabs(DotF32Scalar(a.data(), b.data(), n) - exact), bound);
  }
}

TEST(KernelsDot, ScalarFormIsTheRunningSumInIndexOrder) {
  const std::vector<float> a = {1e8f, 1.0f, -1e8f, 1.0f, 0.5f}, b = {1.0f, 1.0f, 1.0f, 1.0f, 2.0f};
  // ((1e8 + 1) - 1e8) + 1 + 1 in float: 1e8 + 1 rounds to 1e8.
  EXPECT_EQ(DotF32Scalar(a.data(), b.data(), 5), 2.0f);
  // Partial sums 1e8, 1, -1e8, 1: (1e8 + 1) + (-1e8 + 1) rounds to 1e8 - 1e8 = 0, then the tail 0.5 * 2.
  EXPECT_EQ(DotF32(a.data(), b.data(), 5), 1.0f);
  EXPECT_EQ(DotF32(a.data(), b.data(), 0), 0.0f);
}

TEST(KernelsDot, AxpyRoundsOncePerElement) {
  const int32_t n = 37;
  const std::vector<float> x = Random(n, 5), y0 = Random(n, 6);
  std::vector<float> y = y0;
  const float alpha = 0.37f;
  AxpyF32(alpha, x.data(), y.data(), n);
  for (int32_t i = 0; i < n; ++i) {
    const float expected = y0[i] + alpha * x[i];
    EXPECT_EQ(y[i], expected) << i;
  }
}

}  // namespace
}  // namespace bt
