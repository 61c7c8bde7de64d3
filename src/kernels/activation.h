// Element-wise activations, in place. gelu: 0.5x(1+erf(x/√2)); gelu_new/gelu_pytorch_tanh:
// 0.5x(1+tanh(√(2/π)(x+0.044715x³))). Both GELUs run 4-wide (vmath.h) and are as accurate as the
// libm forms: error |d|/max(1,|y|) vs exact ≤ 1.45e-7 (libm forms: 1.2e-7 erf, 1.65e-7 tanh),
// vs the libm forms ≤ 2.4e-7; relative error for x > 0 ≤ 1.45e-7 (test_kernels_elementwise).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace bt {

void ApplyActivation(Activation act, float* x, int64_t n);

// The same activations with plain libm calls (erff, tanhf): the reference ApplyActivation's
// vectorised GELU approximations are tested against.
void ApplyActivationReference(Activation act, float* x, int64_t n);

}  // namespace bt
