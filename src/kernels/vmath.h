// Internal to src/kernels: 4-wide float math on GCC/Clang generic vectors, which compile to SSE2
// natively and to SIMD128 under emscripten -msimd128. Coefficients were fitted for this project
// (weighted least squares towards minimax relative error, in 50-digit arithmetic, then rounded
// to float); the accuracy actually reached in float is measured in tests/native/test_kernels_*.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace bt::vmath {

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

inline v4f Load(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store(float* p, v4f v) { std::memcpy(p, &v, sizeof(v)); }
inline v4f Splat(float x) { return v4f{x, x, x, x}; }
// Loads n < 4 floats, padding with `fill`; StorePartial writes back n floats.
inline v4f LoadPartial(const float* p, int n, float fill) {
  float t[4] = {fill, fill, fill, fill};
  std::memcpy(t, p, sizeof(float) * n);
  return Load(t);
}
inline void StorePartial(float* p, v4f v, int n) {
  float t[4];
  Store(t, v);
  std::memcpy(p, t, sizeof(float) * n);
}
inline v4f Select(v4i mask, v4f a, v4f b) { return (v4f)((mask & (v4i)a) | (~mask & (v4i)b)); }
inline bool AnyTrue(v4i mask) {
#if defined(__wasm_simd128__)
  return wasm_v128_any_true((v128_t)mask);
#else
  return (mask[0] | mask[1] | mask[2] | mask[3]) != 0;
#endif
}
// PMin(a, b) = b < a ? b : a and PMax(a, b) = a < b ? b : a, lane by lane (NaN and signed zeros
// included): wasm's f32x4.pmin/pmax, one minps/maxps in V8, where a compare and a select cost four
// instructions (LLVM turns some compare + select pairs into pmin by itself, no pmax).
inline v4f PMin(v4f a, v4f b) {
#if defined(__wasm_simd128__)
  return (v4f)wasm_f32x4_pmin((v128_t)a, (v128_t)b);
#else
  return Select(b < a, b, a);
#endif
}
inline v4f PMax(v4f a, v4f b) {
#if defined(__wasm_simd128__)
  return (v4f)wasm_f32x4_pmax((v128_t)a, (v128_t)b);
#else
  return Select(a < b, b, a);
#endif
}
// The 4x4 transpose of rows r0..r3: t[i] holds lane i of every row (four shuffles into pairs, four out).
inline void Transpose4x4(v4f r0, v4f r1, v4f r2, v4f r3, v4f t[4]) {
  const v4f r01l = __builtin_shufflevector(r0, r1, 0, 4, 1, 5), r01h = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
  const v4f r23l = __builtin_shufflevector(r2, r3, 0, 4, 1, 5), r23h = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
  t[0] = __builtin_shufflevector(r01l, r23l, 0, 1, 4, 5);
  t[1] = __builtin_shufflevector(r01l, r23l, 2, 3, 6, 7);
  t[2] = __builtin_shufflevector(r01h, r23h, 0, 1, 4, 5);
  t[3] = __builtin_shufflevector(r01h, r23h, 2, 3, 6, 7);
}
// Min(a, b) = a < b ? a : b, Max(a, b) = a > b ? a : b: they give b when a is NaN, so clamps built
// from them map NaN to a bound, and a function that clamps must put NaN lanes back itself (Exp, Erf
// do). NaN in -> NaN out everywhere in this file.
inline v4f Min(v4f a, v4f b) { return PMin(b, a); }
inline v4f Max(v4f a, v4f b) { return PMax(b, a); }
inline float HorizontalSum(v4f v) { return (v[0] + v[2]) + (v[1] + v[3]); }
inline float HorizontalMin(v4f v) {
  const float a = v[0] < v[2] ? v[0] : v[2], b = v[1] < v[3] ? v[1] : v[3];
  return a < b ? a : b;
}
inline float HorizontalMax(v4f v) {
  const float a = v[0] > v[2] ? v[0] : v[2], b = v[1] > v[3] ? v[1] : v[3];
  return a > b ? a : b;
}

// e^x: x = n*ln2 + r with |r| <= ln2/2 (Cody-Waite two-constant reduction), e^r by a degree-6
// polynomial (relative error 3.1e-9 in exact arithmetic), times 2^n built in the exponent bits.
// ExpCore takes x in [-87.3365, 88] only (the caller clamps).
inline v4f ExpCore(v4f x) {
  const v4f kMagic = Splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const v4f shifted = x * Splat(1.44269504088896341f) + kMagic;  // n + 1.5 * 2^23, exactly
  const v4f n = shifted - kMagic;
  v4f r = x - n * Splat(0.693145751953125f);  // ln2 high part (exact in float)
  r = r - n * Splat(1.428606765330187e-06f);  // ln2 - high part
  v4f p = Splat(0.0013814608100801706f);
  p = p * r + Splat(0.008368710055947304f);
  p = p * r + Splat(0.04166838899254799f);
  p = p * r + Splat(0.1666652113199234f);
  p = p * r + Splat(0.4999999403953552f);
  p = p * r + Splat(1.0f);
  p = p * r + Splat(1.0f);
  // 2^n: n sits in the low significand bits of `shifted` (bits 0x4B400000 + n); shifting by 23 drops the
  // rest, so this is (n + 127) << 23 without a float-to-int conversion (several instructions in V8).
  const v4i e = ((v4i)shifted + 127) << 23;
  return p * (v4f)e;
}

// e^x for x <= 0 (and NaN, which stays NaN), bitwise equal to Exp there: the softmax exponent
// x - max. Inputs below -87.3365 give 0; no overflow lanes to handle.
inline v4f ExpNonPositive(v4f x) {
  const v4f lo = Splat(-87.33654f);
  const v4i underflow = x < lo;
  return (v4f)((v4i)ExpCore(PMax(x, lo)) & ~underflow);  // PMax(x, lo) = x < lo ? lo : x
}

// e^x for every float, as libm/PyTorch: NaN -> NaN, +inf -> +inf, -inf -> 0; inputs below -87.3365
// (result < FLT_MIN) give 0, inputs above 88.7228 overflow to +inf. Lanes above 88 (and NaN lanes)
// take a rare second path, e^x = (e^(x/2))^2, so the common path has one extra compare.
inline v4f Exp(v4f x) {
  const v4f lo = Splat(-87.33654f), hi = Splat(88.0f);
  const v4i underflow = x < lo;
  const v4i in_range = x <= hi;  // false for x > 88 and for NaN
  v4f y = Select(underflow, Splat(0.0f), ExpCore(Min(Max(x, lo), hi)));  // the clamp maps NaN to a bound
  if (AnyTrue(~in_range)) {
    const v4f h = ExpCore(Max(Min(x * Splat(0.5f), hi), lo));
    y = Select(in_range, y, Select(x == x, h * h, x));
  }
  return y;
}

// erf(z) = z * P(z^2) / Q(z^2) on |z| <= 3.925 (relative error 5.4e-8 in exact arithmetic with
// these float coefficients, fitted one coefficient at a time around the float rounding of the others),
// clamped to [-1, 1]; beyond 3.925 erf rounds to +-1 in float anyway. NaN lanes stay NaN.
inline v4f Erf(v4f z0) {
  const v4f z = Min(Max(z0, Splat(-3.925f)), Splat(3.925f));
  const v4f t = z * z;
  v4f p = Splat(2.0456059246498626e-06f);
  p = p * t + Splat(0.00028486771043390036f);
  p = p * t + Splat(0.0037739675026386976f);
  p = p * t + Splat(0.052773281931877136f);
  p = p * t + Splat(0.1906275451183319f);
  p = p * t + Splat(1.1283791065216064f);
  v4f q = Splat(3.804479638347402e-05f);
  q = q * t + Splat(0.0011641948949545622f);
  q = q * t + Splat(0.014985911548137665f);
  q = q * t + Splat(0.11419627815485f);
  q = q * t + Splat(0.5022719502449036f);
  q = q * t + Splat(1.0f);
  return Select(z0 == z0, Min(Max(z * p / q, Splat(-1.0f)), Splat(1.0f)), z0);
}

// erfc(a) for a >= 0.875 (the caller selects): e^(-a^2) * R(a), R(a) = erfc(a) e^(a^2) = P(a)/Q(a)
// fitted on [0.875, 3.925] (relative error 1.8e-8 in exact arithmetic with these float
// coefficients) and continued as R(3.925) * 3.925 / a beyond (R ~ 1/(a sqrt(pi)); there erfc <
// 1.5e-8). a^2 is split exactly (Dekker) so e^(-a^2) keeps full relative accuracy.
inline v4f ErfcLarge(v4f a) {
  const v4f kEnd = Splat(3.925f);
  const v4f s = Min(a, Splat(10.0f));  // e^-100 already flushes to 0; keeps a^2 finite
  const v4f ah = (v4f)((v4i)s & (v4i){-4096, -4096, -4096, -4096});  // top 12 significand bits
  const v4f al = s - ah;
  const v4f t = s * s;
  const v4f t_err = ((ah * ah - t) + Splat(2.0f) * ah * al) + al * al;  // a^2 = t + t_err
  const v4f e = ExpNonPositive(Splat(0.0f) - t) * (Splat(1.0f) - t_err);  // -t <= -0.765
  const v4f r = Min(a, kEnd);
  v4f p = Splat(-1.5163986688548903e-07f);
  p = p * r + Splat(0.029168281704187393f);
  p = p * r + Splat(0.20784513652324677f);
  p = p * r + Splat(0.6821469664573669f);
  p = p * r + Splat(1.1848863363265991f);
  p = p * r + Splat(1.0000030994415283f);
  v4f q = Splat(0.051690779626369476f);
  q = q * r + Splat(0.3685261607170105f);
  q = q * r + Splat(1.233702301979065f);
  q = q * r + Splat(2.2923038005828857f);
  q = q * r + Splat(2.3132927417755127f);
  q = q * r + Splat(1.0f);
  const v4f tail = Select(a > kEnd, kEnd / a, Splat(1.0f));
  return Select(a == a, e * (p / q) * tail, a);  // NaN stays NaN
}

}  // namespace bt::vmath
