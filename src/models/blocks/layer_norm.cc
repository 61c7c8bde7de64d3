#include "models/blocks/layer_norm.h"

#include <cmath>
#include <cstring>

#include "kernels/norm.h"

namespace bt {

void LayerNormForward(const LayerNormWeights& w, const float* x, float* out, int32_t rows, int32_t n,
                      ThreadPool& pool) {
  if (out != x) std::memcpy(out, x, sizeof(float) * static_cast<size_t>(rows) * n);
  LayerNorm(out, rows, n, w.gamma.data(), w.beta.data(), w.eps, pool);
}

namespace {

// Mean and 1/sqrt(var + eps) of one row, in double.
void RowStatistics(const float* x, int32_t n, float eps, double& mean, double& rstd) {
  double var = 0.0;
  mean = 0.0;
  for (int32_t i = 0; i < n; ++i) mean += x[i];
  mean /= n;
  for (int32_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  rstd = 1.0 / std::sqrt(var / n + eps);
}

// dgamma += Σ dy·x̂, dbeta += Σ dy over the rows (one pass over the rows in order: deterministic).
void AccumulateParameterGradients(const float* x, const float* dy, int32_t rows, int32_t n, float eps,
                                  const LayerNormGrads& grads) {
  for (int32_t r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<size_t>(r) * n;
    const float* gr = dy + static_cast<size_t>(r) * n;
    double mean = 0.0, rstd = 0.0;
    RowStatistics(xr, n, eps, mean, rstd);
    for (int32_t i = 0; i < n; ++i) {
      if (grads.gamma != nullptr) grads.gamma[i] += static_cast<float>(gr[i] * ((xr[i] - mean) * rstd));
      if (grads.beta != nullptr) grads.beta[i] += gr[i];
    }
  }
}

}  // namespace

void LayerNormBackward(const LayerNormWeights& w, const float* x, const float* dy, int32_t rows, int32_t n, float* dx,
                       ThreadPool& pool, const LayerNormGrads* grads) {
  const float* gamma = w.gamma.data();
  const float eps = w.eps;
  if (grads != nullptr) AccumulateParameterGradients(x, dy, rows, n, eps, *grads);  // before dx may overwrite dy
  pool.ParallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * n;
      const float* gr = dy + r * n;
      double mean = 0.0, rstd = 0.0;
      RowStatistics(xr, n, eps, mean, rstd);
      double g_mean = 0.0, gx_mean = 0.0;
      for (int32_t i = 0; i < n; ++i) {
        const double g = static_cast<double>(gr[i]) * gamma[i];
        g_mean += g;
        gx_mean += g * (xr[i] - mean) * rstd;
      }
      g_mean /= n;
      gx_mean /= n;
      float* out = dx + r * n;
      for (int32_t i = 0; i < n; ++i) {
        const double g = static_cast<double>(gr[i]) * gamma[i];
        out[i] = static_cast<float>(rstd * (g - g_mean - (xr[i] - mean) * rstd * gx_mean));
      }
    }
  });
}

}  // namespace bt
