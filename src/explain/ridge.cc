#include "explain/ridge.h"

#include <cmath>
#include <utility>

namespace bt {

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

// Solves a·v = b in place (a: n x n, symmetric positive definite after the ridge term) by Gaussian
// elimination with partial pivoting.
std::vector<double> Solve(std::vector<double> a, std::vector<double> b, int32_t n) {
  for (int32_t col = 0; col < n; ++col) {
    int32_t pivot = col;
    for (int32_t r = col + 1; r < n; ++r) {
      if (std::fabs(a[static_cast<size_t>(r) * n + col]) > std::fabs(a[static_cast<size_t>(pivot) * n + col])) pivot = r;
    }
    if (pivot != col) {
      for (int32_t j = 0; j < n; ++j) std::swap(a[static_cast<size_t>(col) * n + j], a[static_cast<size_t>(pivot) * n + j]);
      std::swap(b[col], b[pivot]);
    }
    const double d = a[static_cast<size_t>(col) * n + col];
    if (d == 0.0) continue;
    for (int32_t r = col + 1; r < n; ++r) {
      const double f = a[static_cast<size_t>(r) * n + col] / d;
      if (f == 0.0) continue;
      for (int32_t j = col; j < n; ++j) a[static_cast<size_t>(r) * n + j] -= f * a[static_cast<size_t>(col) * n + j];
      b[r] -= f * b[col];
    }
  }
  std::vector<double> v(static_cast<size_t>(n), 0.0);
  for (int32_t r = n - 1; r >= 0; --r) {
    double s = b[r];
    for (int32_t j = r + 1; j < n; ++j) s -= a[static_cast<size_t>(r) * n + j] * v[j];
    const double d = a[static_cast<size_t>(r) * n + r];
    v[r] = d != 0.0 ? s / d : 0.0;
  }
  return v;
}

}  // namespace

std::vector<double> WeightedRidge(const std::vector<double>& x, const std::vector<double>& y,
                                  const std::vector<double>& w, int32_t rows, int32_t cols, double alpha) {
  double wsum = 0.0, ymean = 0.0;
  std::vector<double> xmean(static_cast<size_t>(cols), 0.0);
  for (int32_t i = 0; i < rows; ++i) {
    wsum += w[i];
    ymean += w[i] * y[i];
    for (int32_t j = 0; j < cols; ++j) xmean[j] += w[i] * x[static_cast<size_t>(i) * cols + j];
  }
  if (wsum <= 0.0) return std::vector<double>(static_cast<size_t>(cols), 0.0);
  ymean /= wsum;
  for (double& v : xmean) v /= wsum;
  // Normal equations of the weighted, centred problem: (XcᵀWXc + αI)β = XcᵀW yc.
  std::vector<double> a(static_cast<size_t>(cols) * cols, 0.0), b(static_cast<size_t>(cols), 0.0), xc(cols);
  for (int32_t i = 0; i < rows; ++i) {
    for (int32_t j = 0; j < cols; ++j) xc[j] = x[static_cast<size_t>(i) * cols + j] - xmean[j];
    const double yc = y[i] - ymean;
    for (int32_t j = 0; j < cols; ++j) {
      b[j] += w[i] * xc[j] * yc;
      for (int32_t k = 0; k <= j; ++k) a[static_cast<size_t>(j) * cols + k] += w[i] * xc[j] * xc[k];
    }
  }
  for (int32_t j = 0; j < cols; ++j) {
    for (int32_t k = j + 1; k < cols; ++k) a[static_cast<size_t>(j) * cols + k] = a[static_cast<size_t>(k) * cols + j];
    a[static_cast<size_t>(j) * cols + j] += alpha;
  }
  return Solve(std::move(a), std::move(b), cols);
}

}  // namespace bt
