// Packing of activation tiles for the ppmm microkernels: up to 4 rows of A interleaved k-major
// (out[kk*4 + r] = A[r][kk]), rows past mr repeating row mr-1. The wasm variant transposes 4x4
// blocks with shuffles; both produce identical bytes.
#include "kernels/gemm_internal.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace bt {

void f32_pack_a4__scalar(size_t mr, size_t kc, const float* a, size_t a_stride, float* out) {
  const float* rows[kGemmMR];
  for (size_t r = 0; r < kGemmMR; ++r) rows[r] = a + (r < mr ? r : mr - 1) * a_stride;
  for (size_t kk = 0; kk < kc; ++kk) {
    for (size_t r = 0; r < kGemmMR; ++r) out[kk * kGemmMR + r] = rows[r][kk];
  }
}

#if defined(__wasm_simd128__)
void f32_pack_a4__wasmsimd(size_t mr, size_t kc, const float* a, size_t a_stride, float* out) {
  const float* a0 = a;
  const float* a1 = mr > 1 ? a0 + a_stride : a0;
  const float* a2 = mr > 2 ? a1 + a_stride : a1;
  const float* a3 = mr > 3 ? a2 + a_stride : a2;
  size_t kk = 0;
  for (; kk + 4 <= kc; kk += 4, out += 16) {
    const v128_t r0 = wasm_v128_load(a0 + kk), r1 = wasm_v128_load(a1 + kk);
    const v128_t r2 = wasm_v128_load(a2 + kk), r3 = wasm_v128_load(a3 + kk);
    const v128_t t01l = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t01h = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
    const v128_t t23l = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t23h = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
    wasm_v128_store(out, wasm_i64x2_shuffle(t01l, t23l, 0, 2));
    wasm_v128_store(out + 4, wasm_i64x2_shuffle(t01l, t23l, 1, 3));
    wasm_v128_store(out + 8, wasm_i64x2_shuffle(t01h, t23h, 0, 2));
    wasm_v128_store(out + 12, wasm_i64x2_shuffle(t01h, t23h, 1, 3));
  }
  for (; kk < kc; ++kk, out += 4) out[0] = a0[kk], out[1] = a1[kk], out[2] = a2[kk], out[3] = a3[kk];
}
#endif

}  // namespace bt
