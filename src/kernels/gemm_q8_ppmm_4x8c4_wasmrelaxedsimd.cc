// Int8 4x8c4 ppmm microkernels for WebAssembly relaxed SIMD (compiled by clang 16 for the relaxed
// wasm builds only; docs/build.md). Per quad of k: two 16-byte weight loads (4 columns x 4 k each),
// four load32_splat of one row's 4 activations, eight 16-multiply-add dot products.
// The i7 operand of the relaxed dot products is the activation (7-bit, [0, 127]): there the
// instructions are deterministic. Weights are in [-64, 64] (gemm_internal.h), so a 16-bit pair sum
// of the pmaddubsw lowering is at most 2 * 127 * 64 = 16256 and two of them add in 16 bits
// (32512 < 32767): every lowering gives the exact sums, and dot16 widens once per two quads.
#if defined(__wasm_relaxed_simd__)
#include <wasm_simd128.h>

#include "kernels/gemm_q8_ukernels.h"

namespace {

typedef signed char i8x16 __attribute__((vector_size(16)));
typedef short i16x8 __attribute__((vector_size(16)));
typedef int i32x4 __attribute__((vector_size(16)));

// dot_add: acc + the four 4-term dot products of 16 weights w and 16 activations x, one
// i32x4.relaxed_dot_i8x16_i7x16_add_s (V8: vpdpbusd where the CPU has AVX-VNNI and V8 uses it —
// Node 24, Chromium —, else pmaddubsw + pmaddwd by a ones register + paddd).
inline v128_t DotAdd(v128_t w, v128_t x, v128_t acc) {
  return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4((i8x16)w, (i8x16)x, (i32x4)acc);
}

// The eight 2-term sums of 16 weights w and 16 activations x, in 16 bits: i16x8.relaxed_dot_i8x16_i7x16_s
// (V8: one pmaddubsw).
inline v128_t Dot16(v128_t w, v128_t x) {
  return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_s_i16x8((i8x16)w, (i8x16)x);
}

// acc + the pairwise sums of the 16-bit lanes t, widened (i32x4.extadd_pairwise_i16x8_s; V8: pmaddwd
// with the ones constant from memory, so no register holds the ones).
inline v128_t Widen(v128_t t, v128_t acc) { return wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(t)); }

// dot_add: one dot-add per 16 multiply-adds.
void Ppmm4x8c4DotAdd(size_t nc, size_t kq, const int8_t* a, const int8_t* w, size_t w_stride, int32_t* c,
                     size_t c_stride) {
  int32_t* c0 = c;
  int32_t* c1 = c0 + c_stride;
  int32_t* c2 = c1 + c_stride;
  int32_t* c3 = c2 + c_stride;
  do {
    v128_t acc00 = wasm_i32x4_const_splat(0), acc01 = acc00, acc10 = acc00, acc11 = acc00;
    v128_t acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
    const int8_t* wp = w;
    const int8_t* ap = a;
    size_t p = kq;
    do {
      const v128_t w0 = wasm_v128_load(wp);
      const v128_t w1 = wasm_v128_load(wp + 16);
      wp += 32;
      const v128_t x0 = wasm_v128_load32_splat(ap);
      const v128_t x1 = wasm_v128_load32_splat(ap + 4);
      const v128_t x2 = wasm_v128_load32_splat(ap + 8);
      const v128_t x3 = wasm_v128_load32_splat(ap + 12);
      ap += 16;
      acc00 = DotAdd(w0, x0, acc00);
      acc01 = DotAdd(w1, x0, acc01);
      acc10 = DotAdd(w0, x1, acc10);
      acc11 = DotAdd(w1, x1, acc11);
      acc20 = DotAdd(w0, x2, acc20);
      acc21 = DotAdd(w1, x2, acc21);
      acc30 = DotAdd(w0, x3, acc30);
      acc31 = DotAdd(w1, x3, acc31);
    } while (--p != 0);
    wasm_v128_store(c0, acc00), wasm_v128_store(c0 + 4, acc01);
    wasm_v128_store(c1, acc10), wasm_v128_store(c1 + 4, acc11);
    wasm_v128_store(c2, acc20), wasm_v128_store(c2 + 4, acc21);
    wasm_v128_store(c3, acc30), wasm_v128_store(c3 + 4, acc31);
    c0 += 8, c1 += 8, c2 += 8, c3 += 8;
    w += w_stride;
    nc -= 8;
  } while (nc != 0);
}

// dot16: per two quads of k, two i16 dots added in 16 bits, then one widening (3 multiplies per 32
// multiply-adds in V8's pmaddubsw + pmaddwd lowering, against 4 when each quad widens; Node 22: 1.24-1.43x
// the one-quad loop inside a DistilBERT forward). Activations of row r are loaded one row at a time (two
// splats, quads p and p+1), so 8 accumulators + 4 weight + 2 activation vectors stay in registers.
// An odd last quad widens alone.
void Ppmm4x8c4Dot16(size_t nc, size_t kq, const int8_t* a, const int8_t* w, size_t w_stride, int32_t* c,
                    size_t c_stride) {
  int32_t* c0 = c;
  int32_t* c1 = c0 + c_stride;
  int32_t* c2 = c1 + c_stride;
  int32_t* c3 = c2 + c_stride;
  do {
    v128_t acc00 = wasm_i32x4_const_splat(0), acc01 = acc00, acc10 = acc00, acc11 = acc00;
    v128_t acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
    const int8_t* wp = w;
    const int8_t* ap = a;
    size_t p = kq;
    for (; p >= 2; p -= 2) {
      const v128_t w0 = wasm_v128_load(wp);
      const v128_t w1 = wasm_v128_load(wp + 16);
      const v128_t w2 = wasm_v128_load(wp + 32);
      const v128_t w3 = wasm_v128_load(wp + 48);
      wp += 64;
      v128_t xa = wasm_v128_load32_splat(ap);
      v128_t xb = wasm_v128_load32_splat(ap + 16);
      acc00 = Widen(wasm_i16x8_add(Dot16(w0, xa), Dot16(w2, xb)), acc00);
      acc01 = Widen(wasm_i16x8_add(Dot16(w1, xa), Dot16(w3, xb)), acc01);
      xa = wasm_v128_load32_splat(ap + 4);
      xb = wasm_v128_load32_splat(ap + 20);
      acc10 = Widen(wasm_i16x8_add(Dot16(w0, xa), Dot16(w2, xb)), acc10);
      acc11 = Widen(wasm_i16x8_add(Dot16(w1, xa), Dot16(w3, xb)), acc11);
      xa = wasm_v128_load32_splat(ap + 8);
      xb = wasm_v128_load32_splat(ap + 24);
      acc20 = Widen(wasm_i16x8_add(Dot16(w0, xa), Dot16(w2, xb)), acc20);
      acc21 = Widen(wasm_i16x8_add(Dot16(w1, xa), Dot16(w3, xb)), acc21);
      xa = wasm_v128_load32_splat(ap + 12);
      xb = wasm_v128_load32_splat(ap + 28);
      acc30 = Widen(wasm_i16x8_add(Dot16(w0, xa), Dot16(w2, xb)), acc30);
      acc31 = Widen(wasm_i16x8_add(Dot16(w1, xa), Dot16(w3, xb)), acc31);
      ap += 32;
    }
    if (p != 0) {
      const v128_t w0 = wasm_v128_load(wp);
      const v128_t w1 = wasm_v128_load(wp + 16);
      const v128_t x0 = wasm_v128_load32_splat(ap);
      const v128_t x1 = wasm_v128_load32_splat(ap + 4);
      const v128_t x2 = wasm_v128_load32_splat(ap + 8);
      const v128_t x3 = wasm_v128_load32_splat(ap + 12);
      acc00 = Widen(Dot16(w0, x0), acc00);
      acc01 = Widen(Dot16(w1, x0), acc01);
      acc10 = Widen(Dot16(w0, x1), acc10);
      acc11 = Widen(Dot16(w1, x1), acc11);
      acc20 = Widen(Dot16(w0, x2), acc20);
      acc21 = Widen(Dot16(w1, x2), acc21);
      acc30 = Widen(Dot16(w0, x3), acc30);
      acc31 = Widen(Dot16(w1, x3), acc31);
    }
    wasm_v128_store(c0, acc00), wasm_v128_store(c0 + 4, acc01);
    wasm_v128_store(c1, acc10), wasm_v128_store(c1 + 4, acc11);
    wasm_v128_store(c2, acc20), wasm_v128_store(c2 + 4, acc21);
    wasm_v128_store(c3, acc30), wasm_v128_store(c3 + 4, acc31);
    c0 += 8, c1 += 8, c2 += 8, c3 += 8;
    w += w_stride;
    nc -= 8;
  } while (nc != 0);
}

}  // namespace

namespace bt {

void qd8_qc8w_ppmm_ukernel_4x8c4__wasmrelaxedsimd_dot_add(size_t nc, size_t kq, const int8_t* a, const int8_t* w,
                                                          size_t w_stride, int32_t* c, size_t c_stride) {
  Ppmm4x8c4DotAdd(nc, kq, a, w, w_stride, c, c_stride);
}

void qd8_qc8w_ppmm_ukernel_4x8c4__wasmrelaxedsimd_dot16(size_t nc, size_t kq, const int8_t* a, const int8_t* w,
                                                        size_t w_stride, int32_t* c, size_t c_stride) {
  Ppmm4x8c4Dot16(nc, kq, a, w, w_stride, c, c_stride);
}

}  // namespace bt

extern "C" const struct bt_relaxed_q8_kernels* bt_relaxed_q8_kernels_get(void) {
  static const struct bt_relaxed_q8_kernels kernels = {
      bt::qd8_qc8w_ppmm_ukernel_4x8c4__wasmrelaxedsimd_dot_add,
      bt::qd8_qc8w_ppmm_ukernel_4x8c4__wasmrelaxedsimd_dot16,
  };
  return &kernels;
}
#endif  // __wasm_relaxed_simd__
