// The portable statement of the f32 4x8 ppmm microkernel (pre-packed A): plain loops, no SIMD.
// Reference for the SIMD variants (same signature, same per-element operation order).
#include "kernels/gemm_internal.h"

namespace bt {

void f32_ppmm_ukernel_4x8__scalar(size_t mr, size_t nc, size_t kc, const float* a, const float* w,
                                  size_t w_stride, float* c, size_t c_stride) {
  for (size_t n0 = 0; n0 < nc; n0 += kGemmNR, w += w_stride) {
    for (size_t r = 0; r < mr; ++r) {
      float* cr = c + r * c_stride + n0;
      float acc[kGemmNR];
      for (size_t j = 0; j < kGemmNR; ++j) acc[j] = cr[j];
      for (size_t kk = 0; kk < kc; ++kk) {
        const float av = a[kk * kGemmMR + r];
        for (size_t j = 0; j < kGemmNR; ++j) {
          const float prod = av * w[kk * kGemmNR + j];  // separate multiply and add: no FMA contraction
          acc[j] = acc[j] + prod;
        }
      }
      for (size_t j = 0; j < kGemmNR; ++j) cr[j] = acc[j];
    }
  }
}

}  // namespace bt
