// Dense views of packed linear weights, for the explanation backward pass (src/explain): the
// weight matrix W [n, k] back in PyTorch's nn.Linear layout, and dx += dy · W straight from the
// packed panels. f32 panels give W exactly; q8 panels give the dequantised weights q · scale (the
// matrix the int8 forward approximates). New free functions only: the packers are untouched.
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace bt {

// Writes W [n, k] row-major into `weights` (n*k floats) and, when `bias` is not null, the bias [n].
// Returns false for a packed type it does not know.
bool UnpackLinear(const PackedLinear& w, float* weights, float* bias);

// dx[m, k] += dy[m, n] · W for a few rows (the head's selected rows), reading the panels in place:
// no copy of W, so a vocabulary-sized decoder costs nothing extra. Returns false for an unknown type.
bool AccumulateLinearInputGradient(const PackedLinear& w, const float* dy, int32_t m, float* dx);

}  // namespace bt
