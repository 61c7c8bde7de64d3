// Row-wise normalisation kernels.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace bt {

// In place over `rows` rows of length n: x = (x - mean) / sqrt(var + eps) * gamma + beta
// (biased variance, as torch.nn.LayerNorm).
void LayerNorm(float* x, int32_t rows, int32_t n, const float* gamma, const float* beta, float eps,
               ThreadPool& pool);

// In place softmax of one row of length n (max-subtracted).
void SoftmaxRow(float* x, int32_t n);

}  // namespace bt
