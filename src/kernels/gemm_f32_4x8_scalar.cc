// The portable statement of the f32 4x8 GEMM microkernel: plain loops, no SIMD. Reference for
// the SIMD variants (same signature, same per-element operation order).
#include "kernels/gemm_internal.h"

namespace bt {

void f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                  const float* w, const float* bias, float* c, size_t c_stride) {
  for (size_t r = 0; r < mr; ++r) {
    float acc[kGemmNR];
    for (size_t j = 0; j < kGemmNR; ++j) acc[j] = bias != nullptr ? bias[j] : (j < nc ? c[r * c_stride + j] : 0.0f);
    const float* ar = a + r * a_stride;
    for (size_t kk = 0; kk < kc; ++kk) {
      const float av = ar[kk];
      for (size_t j = 0; j < kGemmNR; ++j) {
        const float prod = av * w[kk * kGemmNR + j];  // separate multiply and add: no FMA contraction
        acc[j] = acc[j] + prod;
      }
    }
    for (size_t j = 0; j < nc; ++j) c[r * c_stride + j] = acc[j];
  }
}

}  // namespace bt
