// Internal to src/kernels: the int8 GEMM microkernel contracts. A header of its own, free of the
// standard library, because the relaxed-SIMD kernels are compiled by another compiler (clang 16,
// docs/build.md) than the rest of the engine.
//
// Both kernel families compute C[4 x nc] int32 = A_tile[4 x K] · W over nc/8 weight panels (nc a
// positive multiple of 8; w: the first panel's weights, panels w_stride bytes apart; c row r at
// c + r*c_stride). Activations are 7-bit, in [0, 127] (asymmetric per row, see gemm_internal.h);
// weights are int8 in [-64, 64] (the relaxed dot16 kernel adds two 16-bit pair sums before widening
// and needs that range; the others are exact for any int8). Integer sums are exact in every variant, so all variants of a
// family give identical results, and the two families give identical results on the same values.
//
//   c2: K in pairs. A tile: int16 activations, pair p of row r at p*8 + r*2. W: per pair, 16 bytes:
//       columns 0-3 as (k even, k odd), then columns 4-7. i32x4.dot_i16x8_s / pmaddwd kernels.
//   c4: K in quads. A tile: int8 activations, quad p of row r at p*16 + r*4. W: per quad, 32 bytes:
//       columns 0-3 as 4 consecutive k, then columns 4-7. Relaxed-SIMD i8 dot-product kernels.
// As for f32, the panel loop around the k loop lets V8 unroll the k loop.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bt {

using Q8PpmmUkernelFn = void (*)(size_t nc, size_t kp, const int16_t* a, const int8_t* w, size_t w_stride,
                                 int32_t* c, size_t c_stride);
using Q8C4PpmmUkernelFn = void (*)(size_t nc, size_t kq, const int8_t* a, const int8_t* w, size_t w_stride,
                                   int32_t* c, size_t c_stride);

void qd8_qc8w_ppmm_ukernel_4x8c2__scalar(size_t nc, size_t kp, const int16_t* a, const int8_t* w,
                                         size_t w_stride, int32_t* c, size_t c_stride);
#if defined(__wasm_simd128__)
void qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2(size_t nc, size_t kp, const int16_t* a, const int8_t* w,
                                                   size_t w_stride, int32_t* c, size_t c_stride);
#endif
#if defined(__SSE2__)
void qd8_qc8w_ppmm_ukernel_4x8c2__sse2(size_t nc, size_t kp, const int16_t* a, const int8_t* w,
                                       size_t w_stride, int32_t* c, size_t c_stride);
#endif

void qd8_qc8w_ppmm_ukernel_4x8c4__scalar(size_t nc, size_t kq, const int8_t* a, const int8_t* w,
                                         size_t w_stride, int32_t* c, size_t c_stride);

}  // namespace bt

// The relaxed-SIMD c4 kernels (gemm_q8_ppmm_4x8c4_wasmrelaxedsimd.cc), linked into the relaxed wasm
// builds only. Plain C names: the engine finds them through a weak reference (absent: nullptr).
// dot_add: i32x4.relaxed_dot_i8x16_i7x16_add_s per 16 multiply-adds (one vpdpbusd where the CPU has
// AVX-VNNI and the engine uses it); dot16: two i16x8.relaxed_dot_i8x16_i7x16_s added in 16 bits, then
// i32x4.extadd_pairwise_i16x8_s (weights in [-64, 64]).
extern "C" {
struct bt_relaxed_q8_kernels {
  bt::Q8C4PpmmUkernelFn dot_add;
  bt::Q8C4PpmmUkernelFn dot16;
};
const struct bt_relaxed_q8_kernels* bt_relaxed_q8_kernels_get(void);
}
