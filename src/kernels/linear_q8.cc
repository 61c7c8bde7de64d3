// LinearForward for int8 packed weights: quantise the rows of x once (per row, 7-bit asymmetric;
// gemm_internal.h), then the same unit blocking as the f32 driver (linear.cc): per unit of 64 rows x
// 64 columns, the microkernel of the weights' layout (c2 or c4) produces int32 tiles that are
// dequantised ((acc - zero point * column sum) * row scale * column scale + bias) into the unit
// buffer, then the shared epilogue applies activation and residual. Integer sums are exact, so
// results are identical for any thread count, layout and build.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "kernels/gemm_internal.h"
#include "kernels/vmath.h"

// Defined by the relaxed-SIMD kernel object, which only the relaxed wasm builds link in; elsewhere
// the weak reference resolves to null.
extern "C" __attribute__((weak)) const struct bt_relaxed_q8_kernels* bt_relaxed_q8_kernels_get(void);

namespace bt {
namespace {

// The quantised rows (int16 pairs for c2, int8 quads for c4), then (each 64-byte aligned) one scale
// and one zero point per row.
size_t Aligned64(size_t bytes) { return (bytes + 63) / 64 * 64; }
size_t QuantizedRowsBytes(const PackedLinearQ8& w, int32_t m) { return Aligned64(Q8TileBytes(m, w.padded_k(), w.kr())); }

Q8PpmmUkernelFn BestC2() {
#if defined(__wasm_simd128__)
  return qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2;
#elif defined(__SSE2__)
  return qd8_qc8w_ppmm_ukernel_4x8c2__sse2;
#else
  return qd8_qc8w_ppmm_ukernel_4x8c2__scalar;
#endif
}

const char* BestC2Name() {
#if defined(__wasm_simd128__)
  return "c2 wasmsimd dot16x2";
#elif defined(__SSE2__)
  return "c2 sse2";
#else
  return "c2 scalar";
#endif
}

// Seconds per call of a c4 kernel over `reps` calls on one L1-resident 4 x 512 x 64 problem.
double TimeC4(Q8C4PpmmUkernelFn kernel, const int8_t* a, const int8_t* w, int32_t* c, int reps) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) kernel(64, 128, a, w, 8 * 512, c, 64);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

// Of the two relaxed kernels (identical results), the faster on this runtime and CPU: dot_add is one
// instruction per 16 multiply-adds where the engine maps it to AVX-VNNI (V8 in Node 24 and Chromium:
// ~1.4x dot16 here), three to five elsewhere, where dot16 — 3 multiplies per 32 multiply-adds, thanks
// to the 7-bit weights — is faster (Node 22: ~1.4x dot_add). A wasm engine
// first runs baseline code and swaps in optimised code once a function has run for a while (V8:
// Liftoff, then TurboFan compiled in the background, here after 1-3 ms of calls), and the baseline
// code ranks the kernels differently. So the two alternate until both have become 1.5x faster than
// in their first round (tiered up), then six rounds of >= 1 ms each (browsers coarsen timers to 5 or
// 100 us) decide; if no tier-up shows within 60 ms (already optimised, or an engine without tiers),
// the best rounds seen decide. About 10-20 ms, once per process (or page), when ChooseQ8Kernel() is
// called (the JS layer: after the first int8 result, off the load path; dot_add runs until then).
// The faster wins: the gap is ~1.4x either way since dot16 widens once per two quads (until
// 2026-12-05 dot16 led dot_add by only ~15 % in Node 22, and dot_add had to win by 1.25x so that a
// probe on a busy machine would not misjudge that gap; with that margin, a probe under load 12-18
// picked dot16 in Node 24 once in two runs).
Q8C4PpmmUkernelFn PickRelaxed(const bt_relaxed_q8_kernels& k, const char** name) {
  std::vector<int8_t> a(16 * 128, 1), w(8 * 512 * 8, 1);
  std::vector<int32_t> c(4 * 64);
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  double add_first = 0, dot16_first = 0, add = 1e9, dot16 = 1e9;
  int reps = 128, judged = 0;
  bool tiered = false;
  for (int round = 0; elapsed() < 0.06 && judged < 6; ++round) {
    const double ta = TimeC4(k.dot_add, a.data(), w.data(), c.data(), reps);
    const double t16 = TimeC4(k.dot16, a.data(), w.data(), c.data(), reps);
    if (round == 0) {
      add_first = ta, dot16_first = t16;
      continue;
    }
    if (!tiered && ta * 1.5 < add_first && t16 * 1.5 < dot16_first) {
      tiered = true, add = dot16 = 1e9;  // judge optimised code only
      reps = std::max(reps, static_cast<int>(0.001 / std::max(std::min(ta, t16), 1e-9)));
      continue;
    }
    add = std::min(add, ta), dot16 = std::min(dot16, t16);
    if (tiered) ++judged;
  }
  const bool pick_add = add < dot16;
  *name = pick_add ? "c4 wasmrelaxedsimd dot_add" : "c4 wasmrelaxedsimd dot16";
  return pick_add ? k.dot_add : k.dot16;
}

const bt_relaxed_q8_kernels* RelaxedKernels() {
  return bt_relaxed_q8_kernels_get != nullptr ? bt_relaxed_q8_kernels_get() : nullptr;
}

// The layout and the kernels until ChooseQ8Kernel(): no timing (dot_add is the faster in Chromium and
// Node 24, ~1.4x; in Node 22 dot16 is, until the choice is made).
Q8Gemm& Gemm() {
  static Q8Gemm gemm{2, BestC2(), {qd8_qc8w_ppmm_ukernel_4x8c4__scalar}, {"c4 scalar"}};
  static bool made = false;  // callers hold BestQ8Gemm's lock until made
  if (!made) {
    if (const bt_relaxed_q8_kernels* relaxed = RelaxedKernels()) {
      gemm.kr = 4;
      gemm.c4.store(relaxed->dot_add, std::memory_order_relaxed);
      gemm.c4_name.store("c4 wasmrelaxedsimd dot_add", std::memory_order_relaxed);
    }
    made = true;
  }
  return gemm;
}

}  // namespace

const Q8Gemm& BestQ8Gemm() {
  // Made once, under a lock (emscripten compiles without thread-safe statics; std::mutex is
  // constant-initialised).
  static std::mutex mu;
  static std::atomic<bool> ready{false};
  if (!ready.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu);
    if (!ready.load(std::memory_order_relaxed)) {
      (void)Gemm();
      ready.store(true, std::memory_order_release);
    }
  }
  return Gemm();
}

void ChooseQ8Kernel() {
  static std::mutex mu;
  static std::atomic<bool> chosen{false};
  if (chosen.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(mu);
  if (chosen.load(std::memory_order_relaxed)) return;
  const Q8Gemm& g = BestQ8Gemm();
  const bt_relaxed_q8_kernels* relaxed = RelaxedKernels();
  if (relaxed != nullptr && g.kr == 4) {
    const char* name = nullptr;
    const Q8C4PpmmUkernelFn fn = PickRelaxed(*relaxed, &name);
    Gemm().c4_name.store(name, std::memory_order_relaxed);
    Gemm().c4.store(fn, std::memory_order_release);
  }
  chosen.store(true, std::memory_order_release);
}

const char* Q8KernelName() {
  ChooseQ8Kernel();
  const Q8Gemm& g = BestQ8Gemm();
  return g.kr == 4 ? g.c4_name.load(std::memory_order_acquire) : BestC2Name();
}

size_t LinearScratchBytesQ8(const PackedLinearQ8& w, int32_t m) {
  return QuantizedRowsBytes(w, m) + Aligned64(static_cast<size_t>(m) * sizeof(float)) +
         static_cast<size_t>(m) * sizeof(int32_t);
}

void LinearForwardQ8(const PackedLinearQ8& w, const float* x, int32_t m, Activation act, const float* residual,
                     float* y, const LinearColumns& columns, void* scratch, ThreadPool& pool) {
  const Q8Gemm& gemm = BestQ8Gemm();
  // One kernel for the whole call (ChooseQ8Kernel may switch between calls; results are the same).
  const Q8C4PpmmUkernelFn c4 = gemm.c4.load(std::memory_order_acquire);
  const int kr = w.kr();
  const int32_t k = w.k();
  const size_t padded_k = w.padded_k(), groups = w.k_groups();
  // Quantised activations in the caller's scratch (workers only read them).
  uint8_t* bytes = static_cast<uint8_t*>(scratch);
  void* q = bytes;
  float* row_scale = reinterpret_cast<float*>(bytes + QuantizedRowsBytes(w, m));
  int32_t* row_zero =
      reinterpret_cast<int32_t*>(bytes + QuantizedRowsBytes(w, m) + Aligned64(static_cast<size_t>(m) * sizeof(float)));
  ZeroQ8PaddingRows(m, padded_k, kr, q);
  // Whole tiles per task: neighbouring rows share cache lines in the tiled layout.
  const int64_t tiles = (m + kGemmMR - 1) / kGemmMR;
  const int64_t grain = std::max<int64_t>(1, 16384 / (static_cast<int64_t>(k) * kGemmMR));
  pool.ParallelFor(tiles, grain, [&](int64_t t0, int64_t t1) {
    QuantizeRowsQ8(x, static_cast<int32_t>(t0 * kGemmMR), static_cast<int32_t>(std::min<int64_t>(t1 * kGemmMR, m)), k,
                   padded_k, kr, q, row_scale, row_zero);
  });
  const size_t tile_bytes = Q8TileBytes(kGemmMR, padded_k, kr);

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
        const uint8_t* a = static_cast<const uint8_t*>(q) + static_cast<size_t>((row0 + r) / kGemmMR) * tile_bytes;
        if (kr == 2) {
          gemm.c2(unit.nc(), groups, reinterpret_cast<const int16_t*>(a), w.weights(static_cast<size_t>(p0)),
                  w.panel_bytes(), tile, kLinearUnitCols);
        } else {
          c4(unit.nc(), groups, reinterpret_cast<const int8_t*>(a), w.weights(static_cast<size_t>(p0)),
                  w.panel_bytes(), tile, kLinearUnitCols);
        }
        for (int64_t p = p0; p < p1; ++p) {
          const float* bias = w.bias(static_cast<size_t>(p));
          const float* col_scale = w.scale(static_cast<size_t>(p));
          const int32_t* col_sum = w.column_sums(static_cast<size_t>(p));
          const size_t col = static_cast<size_t>(p - p0) * kGemmNR;
          const vmath::v4f scale0 = vmath::Load(col_scale), scale1 = vmath::Load(col_scale + 4);
          const vmath::v4f bias0 = vmath::Load(bias), bias1 = vmath::Load(bias + 4);
          vmath::v4i sum0, sum1;
          std::memcpy(&sum0, col_sum, sizeof(sum0));
          std::memcpy(&sum1, col_sum + 4, sizeof(sum1));
          for (int32_t i = 0; i < mr; ++i) {
            // out = float(t - z * colsum) * (row scale * column scale) + bias, 4 columns at a time.
            const int32_t row = row0 + r + i;
            const vmath::v4f rs = vmath::Splat(row_scale[row]);
            const int32_t z = row_zero[row];
            const vmath::v4i vz = {z, z, z, z};
            const int32_t* t = tile + i * kLinearUnitCols + col;
            float* out = acc + (r + i) * kLinearUnitCols + col;
            vmath::v4i t0, t1;
            std::memcpy(&t0, t, sizeof(t0));
            std::memcpy(&t1, t + 4, sizeof(t1));
            t0 -= vz * sum0;
            t1 -= vz * sum1;
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
