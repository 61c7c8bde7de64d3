// Int8 4x8c2 ppmm microkernel, portable reference: a tile of 4 int16 activation rows (k-pair
// major) x int8 weight panels, int32 sums.
#include "kernels/gemm_internal.h"

namespace bt {

void qd8_qc8w_ppmm_ukernel_4x8c2__scalar(size_t nc, size_t kp, const int16_t* a, const int8_t* w,
                                         size_t w_stride, int32_t* c, size_t c_stride) {
  for (size_t n0 = 0; n0 < nc; n0 += kGemmNR, w += w_stride) {
    for (size_t r = 0; r < kGemmMR; ++r) {
      int32_t acc[kGemmNR] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (size_t p = 0; p < kp; ++p) {
        const int16_t* ap = a + p * 2 * kGemmMR + r * 2;
        const int8_t* wp = w + p * 16;
        for (size_t j = 0; j < kGemmNR; ++j) {
          const int8_t* pair = wp + (j / 4) * 8 + (j % 4) * 2;
          acc[j] += ap[0] * pair[0] + ap[1] * pair[1];
        }
      }
      for (size_t j = 0; j < kGemmNR; ++j) c[r * c_stride + n0 + j] = acc[j];
    }
  }
}

}  // namespace bt
