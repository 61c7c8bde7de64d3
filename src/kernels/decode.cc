// Weight decoding kernels (decode.h). The vector forms avoid branches: binary16 → float32 after
// F. Giesen's "half_to_float_fast5" idea — shift exponent and mantissa into place, re-bias the exponent,
// re-bias again for Inf/NaN, and renormalise subnormals (and zero) by one float subtraction, which is
// exact there (the result is m·2^-24 with m < 1024).
#include "kernels/decode.h"

#include <cstring>

#include "kernels/vmath.h"

namespace bt {
namespace {

typedef uint16_t v8u16 __attribute__((vector_size(16)));
typedef int8_t v16i8 __attribute__((vector_size(16)));
typedef uint16_t v4u16 __attribute__((vector_size(8)));

}  // namespace

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int shift = 0;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        ++shift;
      }
      mantissa &= 0x3ffu;
      bits = sign | (static_cast<uint32_t>(127 - 15 - shift + 1) << 23) | (mantissa << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  return __builtin_bit_cast(float, bits);
}

namespace {

// Four halves (zero-extended to 32 bits) → their float32 bits.
inline vmath::v4i HalvesToFloatBits(vmath::v4i h) {
  const vmath::v4i kExponent = vmath::v4i{0x0f800000, 0x0f800000, 0x0f800000, 0x0f800000};  // 0x7c00 << 13
  const vmath::v4i kRebias = vmath::v4i{112 << 23, 112 << 23, 112 << 23, 112 << 23};        // (127 - 15) << 23
  const vmath::v4i kOne = vmath::v4i{1 << 23, 1 << 23, 1 << 23, 1 << 23};
  const vmath::v4f kMagic = (vmath::v4f)(vmath::v4i{113 << 23, 113 << 23, 113 << 23, 113 << 23});  // 2^-14
  vmath::v4i o = (h & 0x7fff) << 13;
  const vmath::v4i exponent = o & kExponent;
  o += kRebias;
  o += (exponent == kExponent) & kRebias;  // Inf/NaN: exponent 255
  const vmath::v4i renormalised = (vmath::v4i)((vmath::v4f)(o + kOne) - kMagic);
  const vmath::v4i zero_or_subnormal = exponent == 0;
  o = (zero_or_subnormal & renormalised) | (~zero_or_subnormal & o);
  return o | ((h & 0x8000) << 16);
}

}  // namespace

size_t ConvertF16ToF32Reference(const uint8_t* src, size_t n, float* dst) {
  size_t first_bad = n;
  for (size_t i = 0; i < n; ++i) {
    uint16_t v;
    std::memcpy(&v, src + 2 * i, 2);
    dst[i] = HalfToFloat(v);
    if ((v & 0x7c00u) == 0x7c00u && first_bad == n) first_bad = i;
  }
  return first_bad;
}

size_t ConvertF16ToF32(const uint8_t* src, size_t n, float* dst) {
  const v8u16 kExponent16 = v8u16{0x7c00, 0x7c00, 0x7c00, 0x7c00, 0x7c00, 0x7c00, 0x7c00, 0x7c00};
  v8u16 special = v8u16{};  // lanes whose exponent bits were all ones
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8u16 h;
    std::memcpy(&h, src + 2 * i, sizeof(h));
    special |= (v8u16)((h & kExponent16) == kExponent16);
    const v4u16 lo = __builtin_shufflevector(h, h, 0, 1, 2, 3);
    const v4u16 hi = __builtin_shufflevector(h, h, 4, 5, 6, 7);
    const vmath::v4i a = HalvesToFloatBits(__builtin_convertvector(lo, vmath::v4i));
    const vmath::v4i b = HalvesToFloatBits(__builtin_convertvector(hi, vmath::v4i));
    std::memcpy(dst + i, &a, sizeof(a));
    std::memcpy(dst + i + 4, &b, sizeof(b));
  }
  for (size_t t = i; t < n; ++t) {
    uint16_t v;
    std::memcpy(&v, src + 2 * t, 2);
    dst[t] = HalfToFloat(v);
  }
  // the vector part had no Inf/NaN: only the tail can
  const size_t scan_from = vmath::AnyTrue((vmath::v4i)special) ? 0 : i;
  for (size_t t = scan_from; t < n; ++t) {
    uint16_t v;
    std::memcpy(&v, src + 2 * t, 2);
    if ((v & 0x7c00u) == 0x7c00u) return t;
  }
  return n;
}

size_t FindInt8OutOfRangeReference(const int8_t* q, size_t n, int32_t max_abs) {
  for (size_t i = 0; i < n; ++i) {
    if (q[i] < -max_abs || q[i] > max_abs) return i;
  }
  return n;
}

size_t FindInt8OutOfRange(const int8_t* q, size_t n, int32_t max_abs) {
  const auto m = static_cast<int8_t>(max_abs);
  const v16i8 hi = v16i8{} + m;
  const v16i8 lo = -hi;
  v16i8 outside = v16i8{};
  size_t i = 0;
  // A block at a time, so that a bad value is found soon after it (the caller reports the first one).
  constexpr size_t kBlock = 4096;
  while (i + 16 <= n) {
    const size_t end = i + kBlock <= n ? i + kBlock : n;
    for (; i + 16 <= end; i += 16) {
      v16i8 v;
      std::memcpy(&v, q + i, sizeof(v));
      outside |= (v16i8)((v > hi) | (v < lo));
    }
    if (vmath::AnyTrue((vmath::v4i)outside)) return FindInt8OutOfRangeReference(q, n, max_abs);
  }
  return i + FindInt8OutOfRangeReference(q + i, n - i, max_abs);  // the tail
}

}  // namespace bt
