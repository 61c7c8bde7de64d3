// Packing of one f32 weight panel at load: up to 8 rows of PyTorch's [out, in] W (row j at w + j*k)
// k-major into dst[kk*8 + j] (columns j >= nc zero). The _check variants also look at every value as
// they move it, for the load option validate_weights: the pass that packs the weights is the one
// that checks them (docs/hardening.md, "Weights"). Scalar reference and a 128-bit variant (two 4x4
// transposes per 4 k; SIMD128 in wasm, SSE2 natively) produce identical bytes.
#include <cstdint>
#include <cstring>

#include "kernels/gemm_internal.h"
#include "kernels/vmath.h"

namespace bt {
namespace {

using vmath::Load;
using vmath::Store;
using vmath::v4f;

// NaN or ±Inf: all exponent bits set.
inline bool NonFinite(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return (bits & 0x7f800000u) == 0x7f800000u;
}

template <bool kCheck>
bool PackW8Scalar(size_t nc, size_t k, const float* w, float* dst) {
  bool bad = false;
  for (size_t kk = 0; kk < k; ++kk, dst += kGemmNR) {
    for (size_t j = 0; j < static_cast<size_t>(kGemmNR); ++j) {
      const float v = j < nc ? w[j * k + kk] : 0.0f;
      dst[j] = v;
      if (kCheck) bad |= NonFinite(v);
    }
  }
  return bad;
}

template <bool kCheck>
bool PackW8Vec128(size_t nc, size_t k, const float* w, float* dst) {
  if (nc != static_cast<size_t>(kGemmNR)) return PackW8Scalar<kCheck>(nc, k, w, dst);  // the last, partial panel
  const float* r0 = w;
  const float* r1 = r0 + k;
  const float* r2 = r1 + k;
  const float* r3 = r2 + k;
  const float* r4 = r3 + k;
  const float* r5 = r4 + k;
  const float* r6 = r5 + k;
  const float* r7 = r6 + k;
  // Running sums of everything loaded: finite unless a value is NaN or ±Inf — or the sum overflows,
  // which weights never approach (|w| ~ 1; a false alarm only costs the caller an exact scan).
  v4f s0 = {0, 0, 0, 0}, s1 = s0;
  size_t kk = 0;
  for (; kk + 4 <= k; kk += 4, dst += 4 * kGemmNR) {
    const v4f a0 = Load(r0 + kk), a1 = Load(r1 + kk), a2 = Load(r2 + kk), a3 = Load(r3 + kk);
    const v4f b0 = Load(r4 + kk), b1 = Load(r5 + kk), b2 = Load(r6 + kk), b3 = Load(r7 + kk);
    if (kCheck) {
      s0 += (a0 + a1) + (a2 + a3);
      s1 += (b0 + b1) + (b2 + b3);
    }
    const v4f a01l = __builtin_shufflevector(a0, a1, 0, 4, 1, 5), a01h = __builtin_shufflevector(a0, a1, 2, 6, 3, 7);
    const v4f a23l = __builtin_shufflevector(a2, a3, 0, 4, 1, 5), a23h = __builtin_shufflevector(a2, a3, 2, 6, 3, 7);
    const v4f b01l = __builtin_shufflevector(b0, b1, 0, 4, 1, 5), b01h = __builtin_shufflevector(b0, b1, 2, 6, 3, 7);
    const v4f b23l = __builtin_shufflevector(b2, b3, 0, 4, 1, 5), b23h = __builtin_shufflevector(b2, b3, 2, 6, 3, 7);
    Store(dst, __builtin_shufflevector(a01l, a23l, 0, 1, 4, 5));
    Store(dst + 4, __builtin_shufflevector(b01l, b23l, 0, 1, 4, 5));
    Store(dst + 8, __builtin_shufflevector(a01l, a23l, 2, 3, 6, 7));
    Store(dst + 12, __builtin_shufflevector(b01l, b23l, 2, 3, 6, 7));
    Store(dst + 16, __builtin_shufflevector(a01h, a23h, 0, 1, 4, 5));
    Store(dst + 20, __builtin_shufflevector(b01h, b23h, 0, 1, 4, 5));
    Store(dst + 24, __builtin_shufflevector(a01h, a23h, 2, 3, 6, 7));
    Store(dst + 28, __builtin_shufflevector(b01h, b23h, 2, 3, 6, 7));
  }
  bool bad = false;
  if (kCheck) {
    const v4f s = s0 + s1;
    const v4f zero = s - s;  // 0 where finite, NaN where not
    bad = !(zero[0] == 0 && zero[1] == 0 && zero[2] == 0 && zero[3] == 0);
  }
  for (; kk < k; ++kk, dst += kGemmNR) {
    const float* rows[kGemmNR] = {r0, r1, r2, r3, r4, r5, r6, r7};
    for (int j = 0; j < kGemmNR; ++j) {
      dst[j] = rows[j][kk];
      if (kCheck) bad |= NonFinite(dst[j]);
    }
  }
  return bad;
}

}  // namespace

void f32_pack_w8__scalar(size_t nc, size_t k, const float* w, float* dst) { PackW8Scalar<false>(nc, k, w, dst); }
bool f32_pack_w8_check__scalar(size_t nc, size_t k, const float* w, float* dst) { return PackW8Scalar<true>(nc, k, w, dst); }
void f32_pack_w8__vec128(size_t nc, size_t k, const float* w, float* dst) { PackW8Vec128<false>(nc, k, w, dst); }
bool f32_pack_w8_check__vec128(size_t nc, size_t k, const float* w, float* dst) { return PackW8Vec128<true>(nc, k, w, dst); }

}  // namespace bt
