// Int8 4x8c4 ppmm microkernels for WebAssembly relaxed SIMD (compiled by clang 16 for the relaxed
// wasm builds only; docs/build.md). Per quad of k: two 16-byte weight loads (4 columns x 4 k each),
// four load32_splat of one row's 4 activations, eight 16-multiply-add dot products.
// The i7 operand of the relaxed dot products is the activation (7-bit, [0, 127]): there the
// instructions are deterministic, and with weights in [-127, 127] the 16-bit pair sums of the
// pmaddubsw lowering (2 * 127 * 127 = 32258) never saturate, so every lowering gives the exact sums.
#if defined(__wasm_relaxed_simd__)
#include <wasm_simd128.h>

#include "kernels/gemm_q8_ukernels.h"

namespace {

typedef signed char i8x16 __attribute__((vector_size(16)));
typedef short i16x8 __attribute__((vector_size(16)));
typedef int i32x4 __attribute__((vector_size(16)));

// acc + the four 4-term dot products of 16 weights w and 16 activations x, two ways (identical sums):
// dot_add: one i32x4.relaxed_dot_i8x16_i7x16_add_s (V8: vpdpbusd where the CPU has AVX-VNNI and V8
// uses it — Node 24, Chromium —, else pmaddubsw + pmaddwd by a ones register + paddd).
struct DotAdd {
  v128_t operator()(v128_t w, v128_t x, v128_t acc) const {
    return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4((i8x16)w, (i8x16)x, (i32x4)acc);
  }
};
// dot16: i16x8.relaxed_dot_i8x16_i7x16_s (pmaddubsw) + i32x4.extadd_pairwise_i16x8_s + add. V8 lowers
// the pairwise add to pmaddwd with a ones constant from memory: no register holds the ones, so the
// 8 accumulators, 2 weight and 4 activation vectors fit in x64's 16 xmm registers without spills
// (Node 22: 128 GOPS against 112 with a ones register and 110 for dot_add; docs/kernels.md).
struct Dot16 {
  v128_t operator()(v128_t w, v128_t x, v128_t acc) const {
    const v128_t pairs = (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_s_i16x8((i8x16)w, (i8x16)x);
    return wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8(pairs));
  }
};

// The 4x8c4 kernel for one dot-product flavour (gemm_q8_ukernels.h: the c4 contract).
template <class Dot>
void Ppmm4x8c4(size_t nc, size_t kq, const int8_t* a, const int8_t* w, size_t w_stride, int32_t* c, size_t c_stride) {
  const Dot dot;
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
      acc00 = dot(w0, x0, acc00);
      acc01 = dot(w1, x0, acc01);
      acc10 = dot(w0, x1, acc10);
      acc11 = dot(w1, x1, acc11);
      acc20 = dot(w0, x2, acc20);
      acc21 = dot(w1, x2, acc21);
      acc30 = dot(w0, x3, acc30);
      acc31 = dot(w1, x3, acc31);
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

}  // namespace

namespace bt {

void qd8_qc8w_ppmm_ukernel_4x8c4__wasmrelaxedsimd_dot_add(size_t nc, size_t kq, const int8_t* a, const int8_t* w,
                                                          size_t w_stride, int32_t* c, size_t c_stride) {
  Ppmm4x8c4<DotAdd>(nc, kq, a, w, w_stride, c, c_stride);
}

void qd8_qc8w_ppmm_ukernel_4x8c4__wasmrelaxedsimd_dot16(size_t nc, size_t kq, const int8_t* a, const int8_t* w,
                                                        size_t w_stride, int32_t* c, size_t c_stride) {
  Ppmm4x8c4<Dot16>(nc, kq, a, w, w_stride, c, c_stride);
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
