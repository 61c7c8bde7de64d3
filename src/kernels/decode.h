// Weight decoding at load time, 4 or 16 lanes at a time (vmath.h generic vectors: SSE2 natively,
// SIMD128 in wasm), each beside the scalar reference it is tested against bit for bit
// (tests/native/test_kernels_decode.cc: every binary16 value; int8 ranges at every position).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bt {

// One IEEE binary16 value → float32, exactly (the scalar form).
float HalfToFloat(uint16_t half);

// IEEE binary16 → float32, exactly (subnormals renormalised, ±Inf kept, NaN payloads shifted into the
// float's mantissa: the same bits as HalfToFloat). `src` holds n little-endian
// halves (any alignment). Returns the index of the first Inf or NaN input (exponent bits all ones),
// or n when there is none; every element is converted either way.
size_t ConvertF16ToF32(const uint8_t* src, size_t n, float* dst);
size_t ConvertF16ToF32Reference(const uint8_t* src, size_t n, float* dst);

// The index of the first q[i] outside [-max_abs, max_abs] (max_abs in [0, 127]), or n when all are inside.
size_t FindInt8OutOfRange(const int8_t* q, size_t n, int32_t max_abs);
size_t FindInt8OutOfRangeReference(const int8_t* q, size_t n, int32_t max_abs);

}  // namespace bt
