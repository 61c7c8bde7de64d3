// LinearForward: the f32 GEMM driver. Blocks the problem for cache, splits it over the thread
// pool and runs the packed microkernel, with bias fused into the accumulator init and the
// activation + residual fused into a per-block epilogue. LinearReference is the plain-loop twin.
//
// Blocking: the output is cut into units (LinearUnits, gemm_internal.h) of 64 rows x 8 panels of 8
// columns. A unit starts a small stack buffer at the bias and accumulates into it over K blocks of
// kBlockK (A is packed once per call into 4-row tiles; each tile is swept across the unit's panels),
// then the epilogue writes y = act(buf) + residual once — so y may alias residual, and partial columns
// never reach the microkernel (it always sees whole panels; padding columns are zero weights). Every
// output element sees the same operation sequence whatever the unit split, hence results are bitwise
// identical for any thread count and column range.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/activation.h"
#include "kernels/gemm_internal.h"
#include "kernels/gemm_q8.h"

namespace bt {
namespace {

// K block; K <= kMaxUnblockedK runs in one block. The FFN outputs of MiniLM (K 1536) and of the base
// models (K 3072) run faster in one block than in blocks of 512 (Node 22, FFN output GEMM alone:
// K 1536 x 128 rows 3-8 %; K 3072 x 16 rows -38 %, 32 rows -22 %, 64 rows -14 %, 128 rows ~-10 %).
constexpr int kBlockK = 512;
constexpr int kMaxUnblockedK = 4096;

// A is packed once into 4-row tiles of the whole K.
size_t PackedABytes(int32_t m, int32_t k) {
  return static_cast<size_t>((m + kGemmMR - 1) / kGemmMR) * kGemmMR * static_cast<size_t>(k) * sizeof(float);
}

// a_tiles: PackedABytes(m, k) of the caller's scratch (workers only read it).
void ForwardF32(const PackedLinearF32& w, const float* x, int32_t m, Activation act, const float* residual,
                float* y, const LinearColumns& columns, float* a_tiles, ThreadPool& pool) {
  const F32PpmmUkernelFn ukernel = BestF32PpmmUkernel();
  const F32PackA4Fn pack_a = BestF32PackA4();
  const int32_t k = w.k();
  const LinearUnits units(m, columns);
  const int32_t kc_max = k <= kMaxUnblockedK ? k : kBlockK;

  // A is packed once into 4-row tiles (k-major over the whole K; a K block starts at k0 * 4).
  const int64_t tiles = (m + kGemmMR - 1) / kGemmMR;
  const size_t tile_floats = static_cast<size_t>(kGemmMR) * k;
  const int64_t grain = std::max<int64_t>(1, 16384 / (static_cast<int64_t>(k) * kGemmMR));
  pool.ParallelFor(tiles, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const size_t mr = std::min<int64_t>(kGemmMR, m - t * kGemmMR);
      pack_a(mr, k, x + static_cast<size_t>(t) * kGemmMR * k, k, a_tiles + t * tile_floats);
    }
  });

  auto run_units = [&](int64_t u0, int64_t u1) {
    alignas(64) float acc[kLinearUnitRows * kLinearUnitCols];
    for (int64_t u = u0; u < u1; ++u) {
      const LinearUnits::Unit unit = units[u];
      for (int32_t r = 0; r < unit.rows; ++r) {  // running sums start at the bias
        for (int64_t p = unit.p0; p < unit.p1; ++p) {
          std::copy_n(w.panel(static_cast<size_t>(p)), kGemmNR, acc + r * kLinearUnitCols + (p - unit.p0) * kGemmNR);
        }
      }
      for (int32_t k0 = 0; k0 < k; k0 += kc_max) {
        const int32_t kc = std::min<int32_t>(kc_max, k - k0);
        const float* wk = w.panel(static_cast<size_t>(unit.p0)) + kGemmNR + static_cast<size_t>(k0) * kGemmNR;
        for (int32_t r = 0; r < unit.rows; r += kGemmMR) {  // the packed A tile stays in L1 across the panels
          const size_t mr = std::min<int32_t>(kGemmMR, unit.rows - r);
          const float* a_tile = a_tiles + static_cast<size_t>((unit.row0 + r) / kGemmMR) * tile_floats +
                                static_cast<size_t>(k0) * kGemmMR;
          ukernel(mr, unit.nc(), kc, a_tile, wk, w.panel_stride(), acc + r * kLinearUnitCols, kLinearUnitCols);
        }
      }
      units.Finish(unit, act, acc, residual, y);
    }
  };
  pool.ParallelFor(units.count(), 1, run_units);
}

}  // namespace

LinearUnits::LinearUnits(int32_t m, const LinearColumns& columns)
    : m_(m),
      columns_(columns),
      first_panel_(columns.begin / kGemmNR),
      end_panel_((columns.end + kGemmNR - 1) / kGemmNR),
      m_blocks_((m + kLinearUnitRows - 1) / kLinearUnitRows),
      n_blocks_((end_panel_ - first_panel_ + kLinearUnitCols / kGemmNR - 1) / (kLinearUnitCols / kGemmNR)) {}

LinearUnits::Unit LinearUnits::operator[](int64_t u) const {
  const int64_t nb = u / m_blocks_, mb = u % m_blocks_;
  Unit unit;
  unit.row0 = static_cast<int32_t>(mb * kLinearUnitRows);
  unit.rows = std::min<int32_t>(kLinearUnitRows, m_ - unit.row0);
  unit.p0 = first_panel_ + nb * (kLinearUnitCols / kGemmNR);
  unit.p1 = std::min<int64_t>(unit.p0 + kLinearUnitCols / kGemmNR, end_panel_);
  return unit;
}

void LinearUnits::Finish(const Unit& unit, Activation act, float* acc, const float* residual, float* y) const {
  // The unit's requested columns: [col0, col1) of the weight's output, at acc column col0 - first.
  const int32_t first = static_cast<int32_t>(unit.p0 * kGemmNR);
  const int32_t col0 = std::max(first, columns_.begin);
  const int32_t cols = std::min(first + static_cast<int32_t>(unit.nc()), columns_.end) - col0;
  const size_t offset = static_cast<size_t>(unit.row0) * columns_.stride + (col0 - columns_.begin);
  for (int r = 0; r < unit.rows; ++r) {
    float* row = acc + r * kLinearUnitCols + (col0 - first);
    if (act != Activation::kNone) ApplyActivation(act, row, cols);
    float* yr = y + offset + static_cast<size_t>(r) * columns_.stride;
    if (residual != nullptr) {
      const float* rr = residual + offset + static_cast<size_t>(r) * columns_.stride;
      for (int j = 0; j < cols; ++j) yr[j] = row[j] + rr[j];
    } else {
      for (int j = 0; j < cols; ++j) yr[j] = row[j];
    }
  }
}

size_t LinearScratchBytes(const PackedLinear& w, int32_t m) {
  if (m <= 0) return 0;
  if (const auto* q8 = dynamic_cast<const PackedLinearQ8*>(&w)) return LinearScratchBytesQ8(*q8, m);
  return PackedABytes(m, w.k());
}

F32PpmmUkernelFn BestF32PpmmUkernel() {
#if defined(__wasm_simd128__)
  return f32_ppmm_ukernel_4x8__wasmsimd;
#else
  return f32_ppmm_ukernel_4x8__vec128;
#endif
}

F32PackA4Fn BestF32PackA4() {
#if defined(__wasm_simd128__)
  return f32_pack_a4__wasmsimd;
#else
  return f32_pack_a4__scalar;
#endif
}

void LinearForward(const PackedLinear& w, const float* x, int32_t m, Activation act, const float* residual,
                   float* y, ThreadPool& pool, const LinearColumns* columns, LinearScratch scratch) {
  if (m <= 0) return;
  const LinearColumns all{0, w.n(), w.n()};
  const LinearColumns& cols = columns != nullptr ? *columns : all;
  if (cols.begin < 0 || cols.end <= cols.begin || cols.end > w.n() || cols.stride < cols.end - cols.begin) return;
  // Without (enough) caller scratch, this call's own: tests and one-off calls.
  std::unique_ptr<void, decltype(&std::free)> own(nullptr, &std::free);
  const size_t need = LinearScratchBytes(w, m);
  if (scratch.data == nullptr || scratch.bytes < need) {
    own.reset(std::aligned_alloc(64, (need + 63) / 64 * 64));
    if (own == nullptr) return;
    scratch = {own.get(), need};
  }
  if (const auto* f32 = dynamic_cast<const PackedLinearF32*>(&w)) {
    ForwardF32(*f32, x, m, act, residual, y, cols, static_cast<float*>(scratch.data), pool);
  } else if (const auto* q8 = dynamic_cast<const PackedLinearQ8*>(&w)) {
    LinearForwardQ8(*q8, x, m, act, residual, y, cols, scratch.data, pool);
  }
}

void LinearReference(const float* w, const float* bias, int32_t n, int32_t k, const float* x, int32_t m,
                     Activation act, const float* residual, float* y) {
  for (int32_t i = 0; i < m; ++i) {
    float* yr = y + static_cast<size_t>(i) * n;
    for (int32_t j = 0; j < n; ++j) {
      float acc = bias != nullptr ? bias[j] : 0.0f;
      const float* wr = w + static_cast<size_t>(j) * k;
      const float* xr = x + static_cast<size_t>(i) * k;
      for (int32_t kk = 0; kk < k; ++kk) acc += xr[kk] * wr[kk];
      ApplyActivationReference(act, &acc, 1);
      yr[j] = residual != nullptr ? acc + residual[static_cast<size_t>(i) * n + j] : acc;
    }
  }
}

}  // namespace bt
