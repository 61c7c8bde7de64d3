// Block: the position-wise feed-forward network with its residual sum,
//   out = residual + W2·act(W1·h + b1) + b2
// The kind is chosen at load (FeedForwardKind): one activation now; the next issue adds gated forms
// (GeGLU: W2·(act(W1a·h) ⊙ W1b·h)) and bias-free layers here, each with its backward.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "models/blocks/dense.h"

namespace bt {

class BackwardWeights;

enum class FeedForwardKind {
  kActivation,  // W2·act(W1·h + b1) + b2
  kGeGLU,       // W2·(act(a) ⊙ g) + b2 with [a | g] = W1·h + b1 (W1 is [2I, H]; geglu.h)
};

struct FeedForwardWeights {
  Linear in;   // [I, H] ([2I, H] gated)
  Linear out;  // [H, I]
  Activation activation = Activation::kGeluErf;
  FeedForwardKind kind = FeedForwardKind::kActivation;
};

struct FeedForwardIO {
  const float* h = nullptr;         // [rows, H] the input
  int32_t rows = 0;
  const float* residual = nullptr;  // [rows, H]
  float* out = nullptr;             // [rows, H]; may alias residual, not h
};

struct FeedForwardBuffers {
  float* inner = nullptr;  // [rows, I] ([rows, 2I] gated)
  LinearScratch gemm;
};

// Recorded for the backward pass (tape.h).
struct FeedForwardTape {
  float* pre = nullptr;      // [rows, I] W1·h + b1, before the activation ([rows, 2I] gated)
  float* act = nullptr;      // [rows, I] after it (parameter gradients: W2's input)
  const float* h = nullptr;  // [rows, H] the input (parameter gradients: W1's input)
};

struct FeedForwardGrads {
  LinearGrads in, out;
};

void FeedForwardForward(const FeedForwardWeights& w, const FeedForwardIO& io, const FeedForwardBuffers& buffers,
                        FeedForwardTape* tape, ThreadPool& pool);

struct FeedForwardBackwardBuffers {
  float* dinner = nullptr;  // [rows, I] ([rows, 2I] gated)
  LinearScratch gemm;
};

// dx [rows, H]: on entry the gradient w.r.t. `out`, on return w.r.t. h plus the residual's identity
// (post-norm: h and the residual are the same rows); add_residual false: w.r.t. h only (pre-norm).
void FeedForwardBackward(const FeedForwardWeights& w, const BackwardWeights& bw, int32_t rows,
                         const FeedForwardTape& tape, float* dx, const FeedForwardBackwardBuffers& buffers,
                         const FeedForwardGrads* grads, ThreadPool& pool, bool add_residual = true);

}  // namespace bt
