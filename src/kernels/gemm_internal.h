// Internal to src/kernels: GEMM microkernel contracts, packed-weight classes and the shared
// epilogue. f32 first, then int8 (qd8 activations x qc8 weights).
//
// f32 packed layout (XNNPACK's goi packing): the n outputs are cut into NR=8-wide panels. Panel p
// holds bias[8] followed by k rows of 8 weights, w[p*8 + j][kk] at offset 8 + kk*8 + j; columns
// past n are zero. Panels are contiguous, 16-byte aligned, panel_stride = 8 + 8*k floats.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/gemm.h"

namespace bt {

constexpr int kGemmMR = 4;  // rows per microkernel tile
constexpr int kGemmNR = 8;  // columns per panel

// f32 GEMM on pre-packed A (XNNPACK's "ppmm"): the driver packs a tile of up to 4 activation rows
// k-major (a[kk*4 + r]; rows >= mr repeat row mr-1) once, then the microkernel sweeps it across
// nc/8 weight panels. C[mr x nc] += A[mr x kc] · W: c holds the running sums (the bias, or the
// previous K block), nc is a positive multiple of 8, w points at the first panel's k-th weight
// row and panels are w_stride floats apart; c row r at c + r*c_stride.
// Each output element sees the same operation sequence (c + a0*w0, then + a1*w1, ..., one
// multiply and one add per step, no FMA) in every variant, so results are bitwise identical
// across variants, tilings and thread counts.
// The two nested loops (panels, then k) are deliberate: V8 unrolls only nested small loops.
using F32PpmmUkernelFn = void (*)(size_t mr, size_t nc, size_t kc, const float* a, const float* w,
                                  size_t w_stride, float* c, size_t c_stride);

void f32_ppmm_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* a, const float* w,
                                  size_t w_stride, float* c, size_t c_stride);
#if defined(__wasm_simd128__)
void f32_ppmm_ukernel_4x8__wasmsimd(size_t mr, size_t nc, size_t kc, const float* a, const float* w,
                                    size_t w_stride, float* c, size_t c_stride);
#endif
// GCC/Clang generic 128-bit vectors (SSE2 on x86-64, NEON on arm64).
void f32_ppmm_ukernel_4x8__vec128(size_t mr, size_t nc, size_t kc, const float* a, const float* w,
                                  size_t w_stride, float* c, size_t c_stride);

// Packs rows [0, mr) of A (row r at a + r*a_stride, kc values) k-major into out[kc*4]; rows past
// mr repeat row mr-1.
using F32PackA4Fn = void (*)(size_t mr, size_t kc, const float* a, size_t a_stride, float* out);
void f32_pack_a4__scalar(size_t mr, size_t kc, const float* a, size_t a_stride, float* out);
#if defined(__wasm_simd128__)
void f32_pack_a4__wasmsimd(size_t mr, size_t kc, const float* a, size_t a_stride, float* out);
#endif

// The kernels LinearForward uses on this build (chosen at compile time).
F32PpmmUkernelFn BestF32PpmmUkernel();
F32PackA4Fn BestF32PackA4();

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
// Reads W from `rows` in chunks of whole panels (WeightRowChunk rows) and hands each to
// pack(row0, count, w [count, k]); false as soon as a read fails.
bool ForEachWeightChunk(const WeightRowSource& rows, int32_t n, int32_t k,
                        const std::function<void(int32_t row0, int32_t count, const float* w)>& pack);

// The output of one LinearForward call cut into units of up to kLinearUnitRows rows x kLinearUnitCols
// columns (whole 8-column panels), numbered N-block-major so a thread's consecutive units reuse the
// same weights. Shared by the f32 and int8 drivers: the unit grid for a column range, and the epilogue
// that writes a unit's accumulators (row stride kLinearUnitCols) to y as act(acc) + residual — once
// per unit, so y may alias residual.
constexpr int kLinearUnitRows = 64;
constexpr int kLinearUnitCols = 64;
static_assert(kLinearUnitRows % kGemmMR == 0 && kLinearUnitCols % kGemmNR == 0, "units hold whole tiles");
class LinearUnits {
 public:
  struct Unit {
    int32_t row0, rows;  // output rows [row0, row0 + rows)
    int64_t p0, p1;      // weight panels [p0, p1)
    size_t nc() const { return static_cast<size_t>(p1 - p0) * kGemmNR; }
  };
  LinearUnits(int32_t m, const LinearColumns& columns);
  int64_t count() const { return m_blocks_ * n_blocks_; }
  Unit operator[](int64_t u) const;
  // y = act(acc) + residual for the unit's rows and the requested columns among its panels.
  void Finish(const Unit& unit, Activation act, float* acc, const float* residual, float* y) const;

 private:
  int32_t m_;
  LinearColumns columns_;
  int64_t first_panel_, end_panel_, m_blocks_, n_blocks_;
};

// ---- int8: weights symmetric per output channel, activations symmetric per row at run time ----
// Packed layout ("c2"): 8-column panels; panel p = bias[8] f32, scale[8] f32, then for each pair of
// k (k padded to even with zeros) 16 int8: cols 0-3 as (k0,k1) pairs, then cols 4-7.
// Activations are int16 in [-127, 127] (widened once when quantised), k padded to even, stored in
// tiles of 4 rows k-pair major (XNNPACK's pre-packed A): tile t at q + t*8*kp, pair p of row r at
// offset p*8 + r*2. Rows past m are zero.

// C[4 x nc] int32 = A_tile[4 x 2*kp] · W over nc/8 panels (nc a positive multiple of 8; w: the
// first panel's weights, panels w_stride bytes apart; c row r at c + r*c_stride). As for f32, the
// panel loop around the k loop lets V8 unroll the k loop.
using Q8PpmmUkernelFn = void (*)(size_t nc, size_t kp, const int16_t* a, const int8_t* w, size_t w_stride,
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
Q8PpmmUkernelFn BestQ8PpmmUkernel();

class PackedLinearQ8 final : public PackedLinear {
 public:
  PackedLinearQ8(int32_t n, int32_t k, void* data) : n_(n), k_(k), data_(static_cast<uint8_t*>(data)) {}
  ~PackedLinearQ8() override;
  PackedLinearQ8(const PackedLinearQ8&) = delete;
  PackedLinearQ8& operator=(const PackedLinearQ8&) = delete;

  int32_t n() const override { return n_; }
  int32_t k() const override { return k_; }
  size_t bytes() const override { return panel_bytes() * num_panels(); }
  size_t k_pairs() const { return (static_cast<size_t>(k_) + 1) / 2; }
  size_t panel_bytes() const { return 2 * kGemmNR * sizeof(float) + 2 * kGemmNR * k_pairs(); }
  size_t num_panels() const { return (static_cast<size_t>(n_) + kGemmNR - 1) / kGemmNR; }
  const float* bias(size_t p) const { return reinterpret_cast<const float*>(data_ + p * panel_bytes()); }
  const float* scale(size_t p) const { return bias(p) + kGemmNR; }
  const int8_t* weights(size_t p) const {
    return reinterpret_cast<const int8_t*>(data_ + p * panel_bytes() + 2 * kGemmNR * sizeof(float));
  }

 private:
  int32_t n_, k_;
  uint8_t* data_;  // AlignedAlloc'd
};

// Quantises rows [row_begin, row_end) of x [*, k] (row r at x + r*k) to int16 in [-127, 127], into
// the 4-row tiles of q (k zero padded to 2*kp), with x ~= q * scale[row]. An all-zero row gets
// scale 0. Q8TileElements(m, kp) is the size of q for m rows; ZeroQ8PaddingRows clears rows
// m..(m rounded up to 4).
size_t Q8TileElements(int32_t m, size_t kp);
void QuantizeRowsQ8(const float* x, int32_t row_begin, int32_t row_end, int32_t k, size_t kp, int16_t* q,
                    float* scale);
void ZeroQ8PaddingRows(int32_t m, size_t kp, int16_t* q);

void ReleaseLinearQ8Scratch();  // the calling thread's quantised-activation buffers

void LinearForwardQ8(const PackedLinearQ8& w, const float* x, int32_t m, Activation act, const float* residual,
                     float* y, const LinearColumns& columns, ThreadPool& pool);

}  // namespace bt
