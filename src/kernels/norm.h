// Row-wise normalisation kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_pool.h"

namespace bt {

// In place over `rows` rows of length n: x = (x - mean) / sqrt(var + eps) * gamma + beta
// (biased variance, as torch.nn.LayerNorm).
void LayerNorm(float* x, int32_t rows, int32_t n, const float* gamma, const float* beta, float eps,
               ThreadPool& pool);

// In place softmax of one row of length n (max-subtracted).
void SoftmaxRow(float* x, int32_t n);

// The attention's softmax of a 4-row score tile, fused with the packing of the probabilities for the
// ppmm microkernel: rows r < mr of n scores at s + r*stride (stride >= n rounded up to 4; the row's
// floats past n may be overwritten) become P_r = softmax(scale * row r), written k-major to
// packed[t*4 + r] for t < n (rows past mr repeat row mr-1, as f32_pack_a4). The rows are left
// holding the unnormalised exponentials, and inv[r] = 1 / their sum, so P_r[t] = row[t] * inv[r].
// Bitwise equal to row *= scale; SoftmaxRow(row, n); f32_pack_a4(mr, n, s, stride, packed): one
// pass fewer over the tile for the scale, one for the normalisation and one for the packing.
void ScaledSoftmaxPack4(size_t mr, int32_t n, float scale, float* s, size_t stride, float* packed, float inv[4]);

}  // namespace bt
