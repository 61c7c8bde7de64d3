// Small numerical helpers for LIME: a seeded generator that gives the same sequence on every
// platform (splitmix64; no std distributions, whose output is implementation-defined) and a
// weighted ridge regression with intercept (scikit-learn's Ridge(alpha, fit_intercept=True) with
// sample weights).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
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

// The same fit in parts of bounded work, so that a caller can yield between them (LIME's fit at
// 10,000 samples × 512 words is ~1.3 G multiply-adds). The work is a fixed list of pieces — the
// weighted means, the normal equations one row at a time, their symmetric completion, the elimination
// one column at a time, the back substitution — cut into parts of about `work_per_part`
// multiply-adds (a piece is never split); the cut depends only on (rows, cols, work_per_part). Running
// the parts in order gives bitwise WeightedRidge's coefficients (which is this with one loop).
class WeightedRidgeFit {
 public:
  WeightedRidgeFit(int32_t rows, int32_t cols, double alpha, int64_t work_per_part);
  int64_t parts() const { return static_cast<int64_t>(part_starts_.size()); }
  // Hands over the data (before part 0).
  void Start(std::vector<double> x, std::vector<double> y, std::vector<double> w);
  // Part p (0 <= p < parts(), in order, each once).
  void RunPart(int64_t p);
  // After the last part.
  std::vector<double> coefficients() const { return coef_; }

 private:
  enum class Piece : uint8_t { kMeans, kRow, kSymmetrize, kEliminate, kBackSubstitute };
  void RunPiece(Piece piece, int32_t index);

  int32_t rows_, cols_;
  double alpha_;
  std::vector<std::pair<Piece, int32_t>> pieces_;
  std::vector<std::size_t> part_starts_;  // index of each part's first piece
  std::vector<double> x_, y_, w_;
  double wsum_ = 0.0, ymean_ = 0.0;
  std::vector<double> xmean_, a_, b_, xc_, coef_;
};

}  // namespace bt
