// Int8 4x8c2 ppmm microkernel for WebAssembly SIMD128: per pair of k, i16x8.load8x8_s widens 4
// columns x 2 k of weights, load32_splat broadcasts each row's 2 int16 activations from the one
// packed A pointer, and i32x4.dot_i16x8_s yields 4 column sums (8 multiply-adds) per instruction.
// The panel loop around the k loop lets V8 unroll the k loop (see the f32 ppmm kernel).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include "kernels/gemm_internal.h"

namespace bt {

void qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2(size_t nc, size_t kp, const int16_t* a, const int8_t* w,
                                                   size_t w_stride, int32_t* c, size_t c_stride) {
  int32_t* c0 = c;
  int32_t* c1 = c0 + c_stride;
  int32_t* c2 = c1 + c_stride;
  int32_t* c3 = c2 + c_stride;
  do {
    v128_t acc00 = wasm_i32x4_const_splat(0), acc01 = acc00, acc10 = acc00, acc11 = acc00;
    v128_t acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
    const int8_t* wp = w;
    const int16_t* ap = a;
    size_t p = kp;
    do {
      const v128_t w0 = wasm_i16x8_load8x8(wp);
      const v128_t w1 = wasm_i16x8_load8x8(wp + 8);
      wp += 16;
      const v128_t x0 = wasm_v128_load32_splat(ap);
      const v128_t x1 = wasm_v128_load32_splat(ap + 2);
      const v128_t x2 = wasm_v128_load32_splat(ap + 4);
      const v128_t x3 = wasm_v128_load32_splat(ap + 6);
      ap += 8;
      acc00 = wasm_i32x4_add(acc00, wasm_i32x4_dot_i16x8(x0, w0));
      acc01 = wasm_i32x4_add(acc01, wasm_i32x4_dot_i16x8(x0, w1));
      acc10 = wasm_i32x4_add(acc10, wasm_i32x4_dot_i16x8(x1, w0));
      acc11 = wasm_i32x4_add(acc11, wasm_i32x4_dot_i16x8(x1, w1));
      acc20 = wasm_i32x4_add(acc20, wasm_i32x4_dot_i16x8(x2, w0));
      acc21 = wasm_i32x4_add(acc21, wasm_i32x4_dot_i16x8(x2, w1));
      acc30 = wasm_i32x4_add(acc30, wasm_i32x4_dot_i16x8(x3, w0));
      acc31 = wasm_i32x4_add(acc31, wasm_i32x4_dot_i16x8(x3, w1));
    } while (--p != 0);
    wasm_v128_store(c0, acc00), wasm_v128_store(c0 + 4, acc01);
    wasm_v128_store(c1, acc10), wasm_v128_store(c1 + 4, acc11);
    wasm_v128_store(c2, acc20), wasm_v128_store(c2 + 4, acc21);
    wasm_v128_store(c3, acc30), wasm_v128_store(c3 + 4, acc31);
    c0 += kGemmNR, c1 += kGemmNR, c2 += kGemmNR, c3 += kGemmNR;
    w += w_stride;
    nc -= kGemmNR;
  } while (nc != 0);
}

}  // namespace bt
#endif  // __wasm_simd128__
