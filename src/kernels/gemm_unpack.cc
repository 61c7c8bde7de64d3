// Reading the packed layouts of gemm_internal.h back: f32 "goi" panels (bias[8], then k rows of 8
// weights) and q8 panels (gemm_internal.h: c2 or c4 weight layout).
#include "kernels/gemm_unpack.h"

#include <algorithm>

#include "kernels/gemm_internal.h"

namespace bt {
namespace {

// Calls fn(col, kk, value) for every weight, and bias_fn(col, value) for every bias entry.
template <class WeightFn, class BiasFn>
bool ForEachWeight(const PackedLinear& w, WeightFn fn, BiasFn bias_fn) {
  const int32_t n = w.n(), k = w.k();
  if (const auto* f32 = dynamic_cast<const PackedLinearF32*>(&w)) {
    for (size_t p = 0; p < f32->num_panels(); ++p) {
      const float* panel = f32->panel(p);
      const int32_t n0 = static_cast<int32_t>(p) * kGemmNR, nc = std::min(kGemmNR, n - n0);
      for (int32_t j = 0; j < nc; ++j) {
        bias_fn(n0 + j, panel[j]);
        for (int32_t kk = 0; kk < k; ++kk) fn(n0 + j, kk, panel[kGemmNR + static_cast<size_t>(kk) * kGemmNR + j]);
      }
    }
    return true;
  }
  if (const auto* q8 = dynamic_cast<const PackedLinearQ8*>(&w)) {
    for (size_t p = 0; p < q8->num_panels(); ++p) {
      const int32_t n0 = static_cast<int32_t>(p) * kGemmNR, nc = std::min(kGemmNR, n - n0);
      for (int32_t j = 0; j < nc; ++j) {
        bias_fn(n0 + j, q8->bias(p)[j]);
        const float scale = q8->scale(p)[j];
        for (int32_t kk = 0; kk < k; ++kk) fn(n0 + j, kk, static_cast<float>(q8->weight(p, j, kk)) * scale);
      }
    }
    return true;
  }
  return false;
}

}  // namespace

bool UnpackLinear(const PackedLinear& w, float* weights, float* bias) {
  const int32_t k = w.k();
  return ForEachWeight(
      w, [&](int32_t col, int32_t kk, float v) { weights[static_cast<size_t>(col) * k + kk] = v; },
      [&](int32_t col, float v) {
        if (bias != nullptr) bias[col] = v;
      });
}

bool AccumulateLinearInputGradient(const PackedLinear& w, const float* dy, int32_t m, float* dx) {
  const int32_t n = w.n(), k = w.k();
  return ForEachWeight(
      w,
      [&](int32_t col, int32_t kk, float v) {
        for (int32_t r = 0; r < m; ++r) dx[static_cast<size_t>(r) * k + kk] += dy[static_cast<size_t>(r) * n + col] * v;
      },
      [](int32_t, float) {});
}

}  // namespace bt
