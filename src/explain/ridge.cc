#include "explain/ridge.h"

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <utility>

namespace bt {

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

WeightedRidgeFit::WeightedRidgeFit(int32_t rows, int32_t cols, double alpha, int64_t work_per_part)
    : rows_(rows), cols_(cols), alpha_(alpha) {
  // Each piece with its cost in multiply-adds (at least 1).
  std::vector<int64_t> costs;
  auto add = [&](Piece piece, int32_t index, int64_t cost) {
    pieces_.emplace_back(piece, index);
    costs.push_back(cost > 0 ? cost : 1);
  };
  const int64_t n = cols;
  add(Piece::kMeans, 0, static_cast<int64_t>(rows) * (n + 1));
  for (int32_t i = 0; i < rows; ++i) add(Piece::kRow, i, n * (n + 1) / 2 + 2 * n);
  add(Piece::kSymmetrize, 0, n * n / 2);
  for (int32_t col = 0; col < cols; ++col) add(Piece::kEliminate, col, (n - col) * (n - col) + n);
  add(Piece::kBackSubstitute, 0, n * n / 2);
  int64_t in_part = 0;
  for (size_t i = 0; i < pieces_.size(); ++i) {
    if (i == 0 || costs[i] > work_per_part - in_part) {
      part_starts_.push_back(i);
      in_part = 0;
    }
    in_part += costs[i];
  }
}

void WeightedRidgeFit::Start(std::vector<double> x, std::vector<double> y, std::vector<double> w) {
  x_ = std::move(x);
  y_ = std::move(y);
  w_ = std::move(w);
  wsum_ = ymean_ = 0.0;
  xmean_.assign(static_cast<size_t>(cols_), 0.0);
  coef_.assign(static_cast<size_t>(cols_), 0.0);
}

void WeightedRidgeFit::RunPart(int64_t p) {
  const size_t end = p + 1 < parts() ? part_starts_[static_cast<size_t>(p + 1)] : pieces_.size();
  for (size_t i = part_starts_[static_cast<size_t>(p)]; i < end; ++i) RunPiece(pieces_[i].first, pieces_[i].second);
}

void WeightedRidgeFit::RunPiece(Piece piece, int32_t index) {
  const int32_t rows = rows_, n = cols_, cols = cols_;
  if (piece != Piece::kMeans && wsum_ <= 0.0) return;  // no weight: the coefficients stay 0
  std::vector<double>& a = a_;
  std::vector<double>& b = b_;
  switch (piece) {
    case Piece::kMeans: {
      for (int32_t i = 0; i < rows; ++i) {
        wsum_ += w_[i];
        ymean_ += w_[i] * y_[i];
        for (int32_t j = 0; j < cols; ++j) xmean_[j] += w_[i] * x_[static_cast<size_t>(i) * cols + j];
      }
      if (wsum_ <= 0.0) return;
      ymean_ /= wsum_;
      for (double& v : xmean_) v /= wsum_;
      // Normal equations of the weighted, centred problem: (XcᵀWXc + αI)β = XcᵀW yc.
      a.assign(static_cast<size_t>(cols) * cols, 0.0);
      b.assign(static_cast<size_t>(cols), 0.0);
      xc_.assign(static_cast<size_t>(cols), 0.0);
      return;
    }
    case Piece::kRow: {
      const int32_t i = index;
      std::vector<double>& xc = xc_;
      for (int32_t j = 0; j < cols; ++j) xc[j] = x_[static_cast<size_t>(i) * cols + j] - xmean_[j];
      const double yc = y_[i] - ymean_;
      for (int32_t j = 0; j < cols; ++j) {
        b[j] += w_[i] * xc[j] * yc;
        for (int32_t k = 0; k <= j; ++k) a[static_cast<size_t>(j) * cols + k] += w_[i] * xc[j] * xc[k];
      }
      return;
    }
    case Piece::kSymmetrize:
      for (int32_t j = 0; j < cols; ++j) {
        for (int32_t k = j + 1; k < cols; ++k) a[static_cast<size_t>(j) * cols + k] = a[static_cast<size_t>(k) * cols + j];
        a[static_cast<size_t>(j) * cols + j] += alpha_;
      }
      return;
    case Piece::kEliminate: {
      // Solves a·v = b (symmetric positive definite after the ridge term) by Gaussian elimination
      // with partial pivoting: column `index`.
      const int32_t col = index;
      int32_t pivot = col;
      for (int32_t r = col + 1; r < n; ++r) {
        if (std::fabs(a[static_cast<size_t>(r) * n + col]) > std::fabs(a[static_cast<size_t>(pivot) * n + col])) pivot = r;
      }
      if (pivot != col) {
        for (int32_t j = 0; j < n; ++j) std::swap(a[static_cast<size_t>(col) * n + j], a[static_cast<size_t>(pivot) * n + j]);
        std::swap(b[col], b[pivot]);
      }
      const double d = a[static_cast<size_t>(col) * n + col];
      if (d == 0.0) return;
      for (int32_t r = col + 1; r < n; ++r) {
        const double f = a[static_cast<size_t>(r) * n + col] / d;
        if (f == 0.0) continue;
        for (int32_t j = col; j < n; ++j) a[static_cast<size_t>(r) * n + j] -= f * a[static_cast<size_t>(col) * n + j];
        b[r] -= f * b[col];
      }
      return;
    }
    case Piece::kBackSubstitute: {
      std::vector<double>& v = coef_;
      for (int32_t r = n - 1; r >= 0; --r) {
        double s = b[r];
        for (int32_t j = r + 1; j < n; ++j) s -= a[static_cast<size_t>(r) * n + j] * v[j];
        const double d = a[static_cast<size_t>(r) * n + r];
        v[r] = d != 0.0 ? s / d : 0.0;
      }
      return;
    }
  }
}

std::vector<double> WeightedRidge(const std::vector<double>& x, const std::vector<double>& y,
                                  const std::vector<double>& w, int32_t rows, int32_t cols, double alpha) {
  WeightedRidgeFit fit(rows, cols, alpha, INT64_MAX);
  fit.Start(x, y, w);
  for (int64_t p = 0; p < fit.parts(); ++p) fit.RunPart(p);
  return fit.coefficients();
}

}  // namespace bt
