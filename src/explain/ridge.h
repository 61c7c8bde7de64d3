// Small numerical helpers for LIME: a seeded generator that gives the same sequence on every
// platform (splitmix64; no std distributions, whose output is implementation-defined) and a
// weighted ridge regression with intercept (scikit-learn's Ridge(alpha, fit_intercept=True) with
// sample weights).
#pragma once

#include <cstdint>
#include <vector>

namespace bt {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n) (n >= 1).
  int32_t Below(int32_t n) { return static_cast<int32_t>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

// x: [rows, cols] features, y: [rows], w: [rows] >= 0. Returns the cols coefficients of
// min Σ w_i (y_i - b - x_i·β)² + alpha·|β|² (intercept b unpenalised).
std::vector<double> WeightedRidge(const std::vector<double>& x, const std::vector<double>& y,
                                  const std::vector<double>& w, int32_t rows, int32_t cols, double alpha);

}  // namespace bt
