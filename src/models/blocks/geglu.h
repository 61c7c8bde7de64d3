// Block: the gated linear unit of a GeGLU feed-forward (Shazeer 2020; ModernBERT's MLP):
//   [a | g] = W1·h (2I wide)    out = act(a) ⊙ g (I wide)
// (Hugging Face: `input, gate = Wi(h).chunk(2, -1); act(input) * gate`). The element-wise step
// between the two linears of FeedForwardKind::kGeGLU, and its backward.
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace bt {

// x [rows, 2I] -> out [rows, I]. out may equal x: the rows are then compacted in place.
void GegluForward(Activation act, const float* x, int32_t rows, int32_t inner, float* out);

// From the pre-activations x [rows, 2I] and dout [rows, I] (the gradient w.r.t. out, at the start of
// dx): dx [rows, 2I], the gradient w.r.t. x. dout may equal dx (expanded in place).
void GegluBackward(Activation act, const float* x, const float* dout, int32_t rows, int32_t inner, float* dx);

}  // namespace bt
