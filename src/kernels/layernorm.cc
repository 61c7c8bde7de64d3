// LayerNorm over rows, two-pass (mean, then variance of the centred values), float32 with
// 8 interleaved partial sums so the compiler can vectorise the reductions.
#include <cmath>

#include "kernels/norm.h"

namespace bt {
namespace {

float Sum(const float* x, int32_t n) {
  float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) part[j] += x[i + j];
  for (; i < n; ++i) part[i & 7] += x[i];
  return ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
}

float SumSquaredDeviation(const float* x, int32_t n, float mean) {
  float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      const float d = x[i + j] - mean;
      part[j] += d * d;
    }
  for (; i < n; ++i) {
    const float d = x[i] - mean;
    part[i & 7] += d * d;
  }
  return ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
}

void LayerNormRow(float* x, int32_t n, const float* gamma, const float* beta, float eps) {
  const float mean = Sum(x, n) / static_cast<float>(n);
  const float var = SumSquaredDeviation(x, n, mean) / static_cast<float>(n);
  const float rstd = 1.0f / std::sqrt(var + eps);
  for (int32_t i = 0; i < n; ++i) x[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
}

}  // namespace

void LayerNorm(float* x, int32_t rows, int32_t n, const float* gamma, const float* beta, float eps,
               ThreadPool& pool) {
  if (rows <= 0 || n <= 0) return;
  const int64_t grain = n >= 4096 ? 1 : (4096 + n - 1) / n;  // ~4k elements per chunk at least
  pool.ParallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) LayerNormRow(x + r * n, n, gamma, beta, eps);
  });
}

}  // namespace bt
