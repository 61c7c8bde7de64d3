// Int8 linear layers: weights quantised once (symmetric 7-bit, one scale per output channel), activations
// quantised per row at run time (7-bit asymmetric), int32 accumulation, f32 bias/activation/residual.
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

// int8 weights are 7-bit: in [-kQ8WeightMax, kQ8WeightMax] (gemm_internal.h says why).
constexpr int32_t kQ8WeightMax = 64;

// The weight rule of both packers above, for one row of W (k values): scale = max|w| / 64 and
// q = round-half-even(w * (64 / max|w|)) clamped to [-64, 64]; an all-zero row gets scale 0 and
// zeros. Checkpoint converters call this too, so stored int8 weights are bitwise what load-time
// quantisation would have made.
void QuantizeWeightRowQ8(const float* w, int32_t k, int8_t* q, float* scale);

// A row already in int8 under another symmetric rule (q8 [k] in [-127, 127] with scale8, e.g. an
// embedding-table row that a tied decoder shares) brought into the weight range: m = max|q8|,
// q = round-half-even(q8 * 64 / m), scale = scale8 * m / 64 (exact integer-derived arithmetic, the same
// in every build; an all-zero row stays zero with scale scale8 * 0).
void NarrowRowToQ8Weights(const int8_t* q8, float scale8, int32_t k, int8_t* q, float* scale);

// Writes rows [row0, row0 + count) of W as int8 ([count, k] row-major) and their scales into q and
// scales; false on failure.
using Q8WeightRowSource = std::function<bool(int32_t row0, int32_t count, int8_t* q, float* scales)>;
// Packs weights that are already quantised (e.g. read from a converted checkpoint) without
// requantising them: the same panels PackLinearQ8 makes from the float rows they were quantised from.
std::unique_ptr<PackedLinear> PackLinearQ8FromInt8(const Q8WeightRowSource& rows, const float* bias, int32_t n,
                                                   int32_t k);

}  // namespace bt
