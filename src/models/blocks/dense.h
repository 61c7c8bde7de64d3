// Block: a dense layer y = act(x·Wᵀ + b) (+ residual) — the forward is the GEMM kernel itself
// (kernels/gemm.h, LinearForward, activation and residual fused); here is its backward.
//   input gradient   dx = (dy ⊙ act'(pre))·W, as one GEMM on Wᵀ packed once (BackwardWeights) with the
//                    forward's microkernel, or for a few rows (heads) straight from the packed panels
//   parameters       dW += dyᵀ·x, db += Σ_rows dy (training, issue 19), into caller-owned accumulators
#pragma once

#include <cstdint>
#include <memory>

#include "core/thread_pool.h"
#include "kernels/gemm.h"

namespace bt {

// A linear layer's packed weights and bias (f32, or int8 for encoder layers loaded as q8).
using Linear = std::unique_ptr<PackedLinear>;

// Parameter-gradient accumulators of one linear layer: weight [n, k] (PyTorch's layout), bias [n].
// Null members are not computed.
struct LinearGrads {
  float* weight = nullptr;
  float* bias = nullptr;
};

// dx [m, k] = dy [m, n] · W (+ dx when `accumulate`), with wt = Wᵀ packed (BackwardWeights).
void LinearBackward(const PackedLinear& wt, const float* dy, int32_t m, bool accumulate, float* dx, ThreadPool& pool,
                    LinearScratch scratch = {});

// dW += dyᵀ·x and db += Σ_rows dy for y = x·Wᵀ + b with x [m, k], dy [m, n] (parallel over output
// features; each element's sum runs over the rows in order, so the result is the same for any thread count).
void AccumulateLinearGrads(const float* x, const float* dy, int32_t m, int32_t n, int32_t k, const LinearGrads& grads,
                           ThreadPool& pool);

// Element-wise activations: grad *= act'(pre) over n values, from the pre-activation.
void GeluErfBackward(const float* pre, float* grad, int64_t n);   // Φ(x) + x·φ(x)
void GeluTanhBackward(const float* pre, float* grad, int64_t n);  // 0.5(1+t) + 0.5x(1-t²)·β(1+3κx²)
void TanhBackward(const float* pre, float* grad, int64_t n);      // 1 - tanh²
void ReluBackward(const float* pre, float* grad, int64_t n);      // [x > 0]
void ActivationBackward(Activation act, const float* pre, float* grad, int64_t n);  // dispatch

}  // namespace bt
