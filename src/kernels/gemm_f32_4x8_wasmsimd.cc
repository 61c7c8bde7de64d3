// f32 4x8 GEMM microkernel for WebAssembly SIMD128 (XNNPACK's "loadsplat" scheme): per k, two
// 4-wide weight loads and one load32_splat per row feed 8 multiply-adds (no FMA in SIMD128).
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include <cstring>

#include "kernels/gemm_internal.h"

namespace bt {

void f32_gemm_ukernel_4x8__wasmsimd(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                    const float* w, const float* bias, float* c, size_t c_stride) {
  const float* a0 = a;
  const float* a1 = mr > 1 ? a0 + a_stride : a0;
  const float* a2 = mr > 2 ? a1 + a_stride : a1;
  const float* a3 = mr > 3 ? a2 + a_stride : a2;
  float* c0 = c;
  float* c1 = mr > 1 ? c0 + c_stride : c0;
  float* c2 = mr > 2 ? c1 + c_stride : c1;
  float* c3 = mr > 3 ? c2 + c_stride : c2;

  v128_t acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31;
  if (bias != nullptr) {
    acc00 = acc10 = acc20 = acc30 = wasm_v128_load(bias);
    acc01 = acc11 = acc21 = acc31 = wasm_v128_load(bias + 4);
  } else if (nc == kGemmNR) {
    acc00 = wasm_v128_load(c0), acc01 = wasm_v128_load(c0 + 4);
    acc10 = wasm_v128_load(c1), acc11 = wasm_v128_load(c1 + 4);
    acc20 = wasm_v128_load(c2), acc21 = wasm_v128_load(c2 + 4);
    acc30 = wasm_v128_load(c3), acc31 = wasm_v128_load(c3 + 4);
  } else {
    float t[4][8] = {};
    std::memcpy(t[0], c0, sizeof(float) * nc);
    std::memcpy(t[1], c1, sizeof(float) * nc);
    std::memcpy(t[2], c2, sizeof(float) * nc);
    std::memcpy(t[3], c3, sizeof(float) * nc);
    acc00 = wasm_v128_load(t[0]), acc01 = wasm_v128_load(t[0] + 4);
    acc10 = wasm_v128_load(t[1]), acc11 = wasm_v128_load(t[1] + 4);
    acc20 = wasm_v128_load(t[2]), acc21 = wasm_v128_load(t[2] + 4);
    acc30 = wasm_v128_load(t[3]), acc31 = wasm_v128_load(t[3] + 4);
  }

  do {
    const v128_t w0 = wasm_v128_load(w);
    const v128_t w1 = wasm_v128_load(w + 4);
    w += kGemmNR;
    const v128_t x0 = wasm_v128_load32_splat(a0++);
    const v128_t x1 = wasm_v128_load32_splat(a1++);
    const v128_t x2 = wasm_v128_load32_splat(a2++);
    const v128_t x3 = wasm_v128_load32_splat(a3++);
    acc00 = wasm_f32x4_add(acc00, wasm_f32x4_mul(x0, w0));
    acc01 = wasm_f32x4_add(acc01, wasm_f32x4_mul(x0, w1));
    acc10 = wasm_f32x4_add(acc10, wasm_f32x4_mul(x1, w0));
    acc11 = wasm_f32x4_add(acc11, wasm_f32x4_mul(x1, w1));
    acc20 = wasm_f32x4_add(acc20, wasm_f32x4_mul(x2, w0));
    acc21 = wasm_f32x4_add(acc21, wasm_f32x4_mul(x2, w1));
    acc30 = wasm_f32x4_add(acc30, wasm_f32x4_mul(x3, w0));
    acc31 = wasm_f32x4_add(acc31, wasm_f32x4_mul(x3, w1));
  } while (--kc != 0);

  if (nc == kGemmNR) {  // row 0 stored last so clamped rows never win
    wasm_v128_store(c3, acc30), wasm_v128_store(c3 + 4, acc31);
    wasm_v128_store(c2, acc20), wasm_v128_store(c2 + 4, acc21);
    wasm_v128_store(c1, acc10), wasm_v128_store(c1 + 4, acc11);
    wasm_v128_store(c0, acc00), wasm_v128_store(c0 + 4, acc01);
  } else {
    float t[4][8];
    wasm_v128_store(t[3], acc30), wasm_v128_store(t[3] + 4, acc31);
    wasm_v128_store(t[2], acc20), wasm_v128_store(t[2] + 4, acc21);
    wasm_v128_store(t[1], acc10), wasm_v128_store(t[1] + 4, acc11);
    wasm_v128_store(t[0], acc00), wasm_v128_store(t[0] + 4, acc01);
    std::memcpy(c3, t[3], sizeof(float) * nc);
    std::memcpy(c2, t[2], sizeof(float) * nc);
    std::memcpy(c1, t[1], sizeof(float) * nc);
    std::memcpy(c0, t[0], sizeof(float) * nc);
  }
}

}  // namespace bt
#endif  // __wasm_simd128__
