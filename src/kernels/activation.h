// Element-wise activations, in place. gelu: 0.5x(1+erf(x/√2)); gelu_new/gelu_pytorch_tanh:
// 0.5x(1+tanh(√(2/π)(x+0.044715x³))).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace bt {

void ApplyActivation(Activation act, float* x, int64_t n);

}  // namespace bt
