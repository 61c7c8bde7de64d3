// Internal to src/kernels: the f32 GEMM microkernel contract and the packed-weight layout.
//
// Packed layout (XNNPACK's goi packing): the n outputs are cut into NR=8-wide panels. Panel p
// holds bias[8] followed by k rows of 8 weights, w[p*8 + j][kk] at offset 8 + kk*8 + j; columns
// past n are zero. Panels are contiguous, 16-byte aligned, panel_stride = 8 + 8*k floats.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/gemm.h"

namespace bt {

constexpr int kGemmMR = 4;  // rows per microkernel tile
constexpr int kGemmNR = 8;  // columns per panel

// C[mr x nc] = init + A[mr x kc] · W[kc x 8], mr in [1, 4], nc in [1, 8], kc >= 1.
// a: row r at a + r*a_stride. w: kc*8 packed weights. init: bias[0..8) for every row when
// bias != nullptr, else the current C (accumulate over a K block). c: row r at c + r*c_stride.
// Each output row is computed independently of mr (bitwise), which keeps results identical
// whatever the tiling or thread count.
using F32GemmUkernelFn = void (*)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                  const float* w, const float* bias, float* c, size_t c_stride);

void f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                  const float* w, const float* bias, float* c, size_t c_stride);
#if defined(__wasm_simd128__)
void f32_gemm_ukernel_4x8__wasmsimd(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                    const float* w, const float* bias, float* c, size_t c_stride);
#endif
// GCC/Clang generic 128-bit vectors (SSE2 on x86-64, NEON on arm64).
void f32_gemm_ukernel_4x8__vec128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                  const float* w, const float* bias, float* c, size_t c_stride);

// The kernel LinearForward uses on this build (chosen at compile time).
F32GemmUkernelFn BestF32GemmUkernel();

class PackedLinearF32 final : public PackedLinear {
 public:
  PackedLinearF32(int32_t n, int32_t k, float* data) : n_(n), k_(k), data_(data) {}
  ~PackedLinearF32() override;
  PackedLinearF32(const PackedLinearF32&) = delete;
  PackedLinearF32& operator=(const PackedLinearF32&) = delete;

  int32_t n() const override { return n_; }
  int32_t k() const override { return k_; }
  size_t bytes() const override { return sizeof(float) * panel_stride() * num_panels(); }
  size_t panel_stride() const { return kGemmNR + static_cast<size_t>(kGemmNR) * k_; }
  size_t num_panels() const { return (static_cast<size_t>(n_) + kGemmNR - 1) / kGemmNR; }
  const float* panel(size_t p) const { return data_ + p * panel_stride(); }

 private:
  int32_t n_, k_;
  float* data_;  // AlignedAlloc'd
};

// 64-byte aligned allocation (nullptr on failure) and its release.
void* AlignedAlloc(size_t bytes);
void AlignedFree(void* p);

// Packs w [n, k] + bias [n] (or nullptr) into `out` (num_panels * panel_stride floats).
void PackF32GemmGoiW(const float* w, const float* bias, int32_t n, int32_t k, float* out);

}  // namespace bt
