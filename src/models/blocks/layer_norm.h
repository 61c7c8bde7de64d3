// Block: LayerNorm over rows (torch.nn.LayerNorm: biased variance, eps inside the square root).
// Where it sits in a layer (after the residual sum: post-norm; before the sublayer: pre-norm) is the
// layer's choice (encoder_layer.h, NormPlacement); this block is only the normalisation.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace bt {

struct LayerNormWeights {
  std::vector<float> gamma, beta;
  float eps = 1e-12f;
};

// Parameter-gradient accumulators (training, issue 19): dgamma += Σ_rows dy·x̂, dbeta += Σ_rows dy,
// each [n]. Null members are not computed.
struct LayerNormGrads {
  float* gamma = nullptr;
  float* beta = nullptr;
};

// out = LayerNorm(x) over `rows` rows of n. out may equal x (in place); otherwise x is left as it is
// (a tape keeps it: the backward pass needs the input).
void LayerNormForward(const LayerNormWeights& w, const float* x, float* out, int32_t rows, int32_t n, ThreadPool& pool);

// From the input x and dy (the gradient w.r.t. the output): dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
// with g = dy·gamma, statistics in double. dx may alias dy. grads (optional)
// accumulates the parameter gradients.
void LayerNormBackward(const LayerNormWeights& w, const float* x, const float* dy, int32_t rows, int32_t n, float* dx,
                       ThreadPool& pool, const LayerNormGrads* grads = nullptr);

}  // namespace bt
