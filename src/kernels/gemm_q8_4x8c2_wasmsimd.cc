// Int8 4x8c2 GEMM microkernel for WebAssembly SIMD128: per pair of k, i16x8.load8x8_s widens 4
// columns x 2 k of weights, load32_splat broadcasts the row's 2 int16 activations, and
// i32x4.dot_i16x8_s yields 4 column sums (8 multiply-adds) per instruction.
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include "kernels/gemm_internal.h"

namespace bt {

void qd8_qc8w_gemm_ukernel_4x8c2__wasmsimd_dot16x2(size_t mr, size_t kp, const int16_t* a, size_t a_stride,
                                                   const int8_t* w, int32_t* c) {
  const int16_t* a0 = a;
  const int16_t* a1 = mr > 1 ? a0 + a_stride : a0;
  const int16_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int16_t* a3 = mr > 3 ? a2 + a_stride : a2;
  v128_t acc00 = wasm_i32x4_const_splat(0), acc01 = acc00, acc10 = acc00, acc11 = acc00;
  v128_t acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
  for (size_t p = 0; p < kp; ++p) {
    const v128_t w0 = wasm_i16x8_load8x8(w);
    const v128_t w1 = wasm_i16x8_load8x8(w + 8);
    w += 16;
    const v128_t x0 = wasm_v128_load32_splat(a0 + 2 * p);
    const v128_t x1 = wasm_v128_load32_splat(a1 + 2 * p);
    const v128_t x2 = wasm_v128_load32_splat(a2 + 2 * p);
    const v128_t x3 = wasm_v128_load32_splat(a3 + 2 * p);
    acc00 = wasm_i32x4_add(acc00, wasm_i32x4_dot_i16x8(x0, w0));
    acc01 = wasm_i32x4_add(acc01, wasm_i32x4_dot_i16x8(x0, w1));
    acc10 = wasm_i32x4_add(acc10, wasm_i32x4_dot_i16x8(x1, w0));
    acc11 = wasm_i32x4_add(acc11, wasm_i32x4_dot_i16x8(x1, w1));
    acc20 = wasm_i32x4_add(acc20, wasm_i32x4_dot_i16x8(x2, w0));
    acc21 = wasm_i32x4_add(acc21, wasm_i32x4_dot_i16x8(x2, w1));
    acc30 = wasm_i32x4_add(acc30, wasm_i32x4_dot_i16x8(x3, w0));
    acc31 = wasm_i32x4_add(acc31, wasm_i32x4_dot_i16x8(x3, w1));
  }
  wasm_v128_store(c, acc00), wasm_v128_store(c + 4, acc01);
  wasm_v128_store(c + 8, acc10), wasm_v128_store(c + 12, acc11);
  wasm_v128_store(c + 16, acc20), wasm_v128_store(c + 20, acc21);
  wasm_v128_store(c + 24, acc30), wasm_v128_store(c + 28, acc31);
}

}  // namespace bt
#endif  // __wasm_simd128__
