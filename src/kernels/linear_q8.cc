// LinearForward for int8 packed weights: quantise the rows of x once (per row, symmetric), then the
// same unit blocking as the f32 driver (linear.cc): per unit of 64 rows x 64 columns, the 4x8c2
// microkernel produces int32 tiles that are dequantised (acc * row_scale * col_scale + bias)
// into the unit buffer, then the shared epilogue applies activation and residual. Integer sums
// are exact, so results are identical for any thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/gemm_internal.h"
#include "kernels/vmath.h"

namespace bt {
namespace {

// Quantised activations live in buffers owned by the calling thread (workers only read them).
struct Q8Scratch {
  std::vector<int16_t> q;
  std::vector<float> scale;
};
thread_local Q8Scratch tls_scratch;

}  // namespace

void ReleaseLinearQ8Scratch() {
  std::vector<int16_t>().swap(tls_scratch.q);
  std::vector<float>().swap(tls_scratch.scale);
}

Q8PpmmUkernelFn BestQ8PpmmUkernel() {
#if defined(__wasm_simd128__)
  return qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2;
#elif defined(__SSE2__)
  return qd8_qc8w_ppmm_ukernel_4x8c2__sse2;
#else
  return qd8_qc8w_ppmm_ukernel_4x8c2__scalar;
#endif
}

void LinearForwardQ8(const PackedLinearQ8& w, const float* x, int32_t m, Activation act, const float* residual,
                     float* y, const LinearColumns& columns, ThreadPool& pool) {
  const Q8PpmmUkernelFn ukernel = BestQ8PpmmUkernel();
  const int32_t k = w.k();
  const size_t kp = w.k_pairs();
  Q8Scratch& scratch = tls_scratch;
  scratch.q.resize(Q8TileElements(m, kp));
  scratch.scale.resize(m);
  int16_t* q = scratch.q.data();
  float* row_scale = scratch.scale.data();
  ZeroQ8PaddingRows(m, kp, q);
  // Whole tiles per task: neighbouring rows share cache lines in the tiled layout.
  const int64_t tiles = (m + kGemmMR - 1) / kGemmMR;
  const int64_t grain = std::max<int64_t>(1, 16384 / (static_cast<int64_t>(k) * kGemmMR));
  pool.ParallelFor(tiles, grain, [&](int64_t t0, int64_t t1) {
    QuantizeRowsQ8(x, static_cast<int32_t>(t0 * kGemmMR), static_cast<int32_t>(std::min<int64_t>(t1 * kGemmMR, m)), k,
                   kp, q, row_scale);
  });

  const LinearUnits units(m, columns);
  pool.ParallelFor(units.count(), 1, [&](int64_t u0, int64_t u1) {
    alignas(64) float acc[kLinearUnitRows * kLinearUnitCols];
    alignas(64) int32_t tile[kGemmMR * kLinearUnitCols];
    for (int64_t u = u0; u < u1; ++u) {
      const LinearUnits::Unit unit = units[u];
      const int32_t row0 = unit.row0, rows = unit.rows;
      const int64_t p0 = unit.p0, p1 = unit.p1;
      for (int32_t r = 0; r < rows; r += kGemmMR) {  // row0 and r are multiples of 4: whole tiles
        const int32_t mr = std::min<int32_t>(kGemmMR, rows - r);
        ukernel(unit.nc(), kp, q + static_cast<size_t>(row0 + r) * 2 * kp, w.weights(static_cast<size_t>(p0)),
                w.panel_bytes(), tile, kLinearUnitCols);
        for (int64_t p = p0; p < p1; ++p) {
          const float* bias = w.bias(static_cast<size_t>(p));
          const float* col_scale = w.scale(static_cast<size_t>(p));
          const size_t col = static_cast<size_t>(p - p0) * kGemmNR;
          const vmath::v4f scale0 = vmath::Load(col_scale), scale1 = vmath::Load(col_scale + 4);
          const vmath::v4f bias0 = vmath::Load(bias), bias1 = vmath::Load(bias + 4);
          for (int32_t i = 0; i < mr; ++i) {
            // out = float(t) * (row scale * column scale) + bias, 4 columns at a time.
            const vmath::v4f rs = vmath::Splat(row_scale[row0 + r + i]);
            const int32_t* t = tile + i * kLinearUnitCols + col;
            float* out = acc + (r + i) * kLinearUnitCols + col;
            vmath::v4i t0, t1;
            std::memcpy(&t0, t, sizeof(t0));
            std::memcpy(&t1, t + 4, sizeof(t1));
            vmath::Store(out, __builtin_convertvector(t0, vmath::v4f) * (rs * scale0) + bias0);
            vmath::Store(out + 4, __builtin_convertvector(t1, vmath::v4f) * (rs * scale1) + bias1);
          }
        }
      }
      units.Finish(unit, act, acc, residual, y);
    }
  });
}

}  // namespace bt
