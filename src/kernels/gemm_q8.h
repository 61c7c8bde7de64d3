// Int8 linear layers: weights quantised once (symmetric, one scale per output channel), activations
// quantised per row at run time (symmetric), int32 accumulation, f32 bias/activation/residual.
// LinearForward (gemm.h) dispatches on the packed type, so model code does not change.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/gemm.h"

namespace bt {

// w: [n, k] row-major; bias: [n] or nullptr. Returns nullptr when n, k <= 0 or memory runs out.
std::unique_ptr<PackedLinear> PackLinearQ8(const float* w, const float* bias, int32_t n, int32_t k);
// The same from a row source (gemm.h); nullptr also when a read fails.
std::unique_ptr<PackedLinear> PackLinearQ8(const WeightRowSource& rows, const float* bias, int32_t n, int32_t k);

}  // namespace bt
