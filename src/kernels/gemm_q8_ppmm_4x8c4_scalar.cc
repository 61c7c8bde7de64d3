// Int8 4x8c4 ppmm microkernel, portable reference: a tile of 4 int8 activation rows (k-quad major)
// x int8 weight panels with 4 consecutive k per column, int32 sums (gemm_q8_ukernels.h).
#include "kernels/gemm_q8_ukernels.h"

namespace bt {

void qd8_qc8w_ppmm_ukernel_4x8c4__scalar(size_t nc, size_t kq, const int8_t* a, const int8_t* w,
                                         size_t w_stride, int32_t* c, size_t c_stride) {
  for (size_t n0 = 0; n0 < nc; n0 += 8, w += w_stride) {
    for (size_t r = 0; r < 4; ++r) {
      int32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (size_t p = 0; p < kq; ++p) {
        const int8_t* ap = a + p * 16 + r * 4;
        const int8_t* wp = w + p * 32;
        for (size_t j = 0; j < 8; ++j) {
          const int8_t* quad = wp + (j / 4) * 16 + (j % 4) * 4;
          acc[j] += ap[0] * quad[0] + ap[1] * quad[1] + ap[2] * quad[2] + ap[3] * quad[3];
        }
      }
      for (size_t j = 0; j < 8; ++j) c[r * c_stride + n0 + j] = acc[j];
    }
  }
}

}  // namespace bt
