// Internal to src/kernels: GEMM microkernel contracts, packed-weight classes and the shared
// epilogue. f32 first, then int8 (qd8 activations x qc8 weights).
//
// f32 packed layout (XNNPACK's goi packing): the n outputs are cut into NR=8-wide panels. Panel p
// holds bias[8] followed by k rows of 8 weights, w[p*8 + j][kk] at offset 8 + kk*8 + j; columns
// past n are zero. Panels are contiguous, 16-byte aligned, panel_stride = 8 + 8*k floats.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernels/gemm.h"
#include "kernels/gemm_q8_ukernels.h"

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

// Packs one weight panel: rows [0, nc) of W (nc <= 8, row j at w + j*k) k-major into
// dst[kk*8 + j], columns j >= nc zero (gemm_f32_pack_w8.cc). The _check variants also return
// whether the panel may hold a NaN or ±Inf: always true when it does (the scalar one exactly; the
// vector one also when a running sum overflows, so a caller scans a flagged panel's rows exactly).
using F32PackW8Fn = void (*)(size_t nc, size_t k, const float* w, float* dst);
using F32PackW8CheckFn = bool (*)(size_t nc, size_t k, const float* w, float* dst);
void f32_pack_w8__scalar(size_t nc, size_t k, const float* w, float* dst);
bool f32_pack_w8_check__scalar(size_t nc, size_t k, const float* w, float* dst);
void f32_pack_w8__vec128(size_t nc, size_t k, const float* w, float* dst);
bool f32_pack_w8_check__vec128(size_t nc, size_t k, const float* w, float* dst);

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
// pack(row0, count, w [count, k]); false as soon as a read fails or pack returns false.
bool ForEachWeightChunk(const WeightRowSource& rows, int32_t n, int32_t k,
                        const std::function<bool(int32_t row0, int32_t count, const float* w)>& pack);

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

// ---- int8: weights symmetric per output channel, activations 7-bit asymmetric per row ----
// Weights: int8 in [-64, 64] (7-bit), scale = max|row| / 64 (one per output column), quantised once at
// pack time (QuantizeWeightRowQ8). Activations, per row at run time: range [lo, hi] = [min(0, min x),
// max(0, max x)], scale = (hi - lo) / 127, zero point z = round(-lo * 127 / (hi - lo)) in [0, 127],
// q = clamp(round(x * 127 / (hi - lo)) + z, 0, 127) (round half to even). 7-bit activations are what
// the relaxed-SIMD dot products take exactly (their i7 operand). 7-bit weights keep every 16-bit sum of
// their pmaddubsw lowering (V8 without AVX-VNNI, e.g. Node 22) exact even after adding two of them
// (2 * 2 * 127 * 64 = 32512 <= 32767), so the relaxed dot16 kernel widens once per 8 k instead of 4
// (docs/kernels.md). Every build uses these rules, so relaxed, SIMD128, SSE2 and scalar builds give
// bitwise-identical results.
// Output: y = float(sum_k q_k w_k - z * colsum) * (row scale * column scale) + bias, where colsum is
// the column's sum of int8 weights (stored in the panel): the integer part is exact everywhere.
//
// Packed panels (gemm_q8_ukernels.h for the two weight layouts, kr = 2 "c2" or 4 "c4" k per column
// group): panel p = bias[8] f32, scale[8] f32, colsum[8] int32, then ceil(k / kr) groups of 8 * kr
// int8 (k zero padded). Activations are stored the way the layout's kernel reads them: tiles of 4
// rows, group g of row r at g*4*kr + r*kr (int16 for c2, int8 for c4); rows past m are zero.

// The kernels LinearForward uses for int8 on this build: the relaxed-SIMD c4 kernels when they are
// linked in (relaxed wasm builds), else the c2 kernel (SIMD128, SSE2 or scalar). The relaxed builds
// have two c4 kernels with identical results: dot_add runs until ChooseQ8Kernel() has timed both and
// switched to the faster (bitwise the same results, so the switch may happen between any two calls).
struct Q8Gemm {
  int kr;                               // 2 or 4: the weight layout PackLinearQ8 writes on this build
  Q8PpmmUkernelFn c2;                   // the c2 kernel
  std::atomic<Q8C4PpmmUkernelFn> c4;    // the c4 kernel (the scalar reference where no relaxed kernel exists)
  std::atomic<const char*> c4_name;
};
const Q8Gemm& BestQ8Gemm();
// Times the relaxed c4 kernels once per process (10-60 ms; nothing on other builds) and keeps the
// faster. Not on any load or forward path: the JS layer calls it (kernels()) after a first result.
void ChooseQ8Kernel();
// Which int8 kernel this build runs (e.g. "c2 wasmsimd dot16x2", "c4 wasmrelaxedsimd dot_add"), after
// ChooseQ8Kernel().
const char* Q8KernelName();

class PackedLinearQ8 final : public PackedLinear {
 public:
  static constexpr size_t kHeaderBytes = 2 * kGemmNR * sizeof(float) + kGemmNR * sizeof(int32_t);
  PackedLinearQ8(int32_t n, int32_t k, int kr, void* data)
      : n_(n), k_(k), kr_(kr), data_(static_cast<uint8_t*>(data)) {}
  ~PackedLinearQ8() override;
  PackedLinearQ8(const PackedLinearQ8&) = delete;
  PackedLinearQ8& operator=(const PackedLinearQ8&) = delete;

  int32_t n() const override { return n_; }
  int32_t k() const override { return k_; }
  size_t bytes() const override { return panel_bytes() * num_panels(); }
  int kr() const { return kr_; }
  size_t k_groups() const { return (static_cast<size_t>(k_) + kr_ - 1) / kr_; }
  size_t padded_k() const { return k_groups() * kr_; }
  size_t panel_bytes() const { return kHeaderBytes + kGemmNR * padded_k(); }
  size_t num_panels() const { return (static_cast<size_t>(n_) + kGemmNR - 1) / kGemmNR; }
  const float* bias(size_t p) const { return reinterpret_cast<const float*>(data_ + p * panel_bytes()); }
  const float* scale(size_t p) const { return bias(p) + kGemmNR; }
  const int32_t* column_sums(size_t p) const { return reinterpret_cast<const int32_t*>(scale(p) + kGemmNR); }
  const int8_t* weights(size_t p) const { return reinterpret_cast<const int8_t*>(data_ + p * panel_bytes() + kHeaderBytes); }
  // Offset of weight (column j of a panel, k index kk) from weights(p).
  static size_t WeightOffset(int kr, int32_t j, int32_t kk) {
    return static_cast<size_t>(kk / kr) * kGemmNR * kr + static_cast<size_t>(j / 4) * 4 * kr + (j % 4) * kr + kk % kr;
  }
  int8_t weight(size_t p, int32_t j, int32_t kk) const { return weights(p)[WeightOffset(kr_, j, kk)]; }

 private:
  int32_t n_, k_;
  int kr_;
  uint8_t* data_;  // AlignedAlloc'd
};

// PackLinearQ8 (gemm_q8.h) with an explicit layout (2 or 4) instead of the build's (tests).
std::unique_ptr<PackedLinear> PackLinearQ8WithLayout(const float* w, const float* bias, int32_t n, int32_t k, int kr);

// Quantised activations of rows [row_begin, row_end) of x [*, k] (row r at x + r*k), as defined
// above, into the 4-row tiles of q in layout kr (2: int16, 4: int8 elements; k zero padded to
// padded_k), with their scale and zero point. An all-zero row gets scale 0 and zero point 0; a row
// holding a NaN gets scale NaN (NaN in, NaN out), one holding ±Inf scale inf (its q are all 0).
// Q8TileBytes(m, padded_k, kr) is the size of q for m rows; ZeroQ8PaddingRows clears rows
// m..(m rounded up to 4).
size_t Q8TileBytes(int32_t m, size_t padded_k, int kr);
void QuantizeRowsQ8(const float* x, int32_t row_begin, int32_t row_end, int32_t k, size_t padded_k, int kr, void* q,
                    float* scale, int32_t* zero_point);
void ZeroQ8PaddingRows(int32_t m, size_t padded_k, int kr, void* q);
// Element (row r, k index kk) of quantised tiles in layout kr, as an int.
int32_t Q8ActivationAt(const void* q, size_t padded_k, int kr, int32_t r, int32_t kk);

// LinearScratchBytes for int8 weights: the quantised rows and their scales.
size_t LinearScratchBytesQ8(const PackedLinearQ8& w, int32_t m);

// scratch: at least LinearScratchBytesQ8(w, m) bytes, 64-byte aligned.
void LinearForwardQ8(const PackedLinearQ8& w, const float* x, int32_t m, Activation act, const float* residual,
                     float* y, const LinearColumns& columns, void* scratch, ThreadPool& pool);

}  // namespace bt
