// Backward of each encoder/head op with respect to its input (never its weights), one op per
// function. Gradients are float32 buffers; reductions that matter (LayerNorm statistics and its
// two projections) run in double.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/attention.h"
#include "kernels/gemm.h"

namespace bt {

// Linear y = x·Wᵀ + b: dx = dy·W (+ dx when `accumulate`), with wt = Wᵀ packed (BackwardWeights).
// dy [m, n], dx [m, k].
void LinearBackward(const PackedLinear& wt, const float* dy, int32_t m, bool accumulate, float* dx, ThreadPool& pool);

// LayerNorm y = (x - mean)·rstd·gamma + beta over rows of n, from its input x: dx = rstd·(g - mean(g)
// - x̂·mean(g·x̂)) with g = dy·gamma. dx may alias dy.
void LayerNormBackward(const float* x, const float* gamma, float eps, const float* dy, int32_t rows, int32_t n,
                       float* dx, ThreadPool& pool);

// Element-wise activations: grad *= act'(pre) over n values, from the pre-activation.
void GeluErfBackward(const float* pre, float* grad, int64_t n);   // Φ(x) + x·φ(x)
void GeluTanhBackward(const float* pre, float* grad, int64_t n);  // 0.5(1+t) + 0.5x(1-t²)·β(1+3κx²)
void TanhBackward(const float* pre, float* grad, int64_t n);      // 1 - tanh²
void ReluBackward(const float* pre, float* grad, int64_t n);      // [x > 0]
void ActivationBackward(Activation act, const float* pre, float* grad, int64_t n);  // dispatch

// Softmax attention with key mask (kernels/attention.h shapes): from q|k|v (strides in `shape`), the
// probabilities [batch, heads, seq, seq] and dctx [batch*seq, heads*head_dim], writes dq|dk|dv into
// dqkv (same layout and strides as qkv, overwritten). Masked keys have probability 0 and get no
// gradient; a row with no valid key (uniform weights, independent of the scores) passes gradient to
// v only. dprobs (optional, [batch, heads, seq, seq], overwritten): the gradient w.r.t. the
// probabilities themselves, dctx_i·v_j (0 on masked keys).
void AttentionBackward(const AttentionShape& shape, const float* qkv, const float* probs, const int32_t* mask,
                       float scale, const float* dctx, float* dqkv, ThreadPool& pool, float* dprobs = nullptr);

// word + type + position: the sum's gradient is the word embedding's gradient (copied to dword).
void EmbeddingSumBackward(const float* dsum, int64_t values, float* dword);

}  // namespace bt
