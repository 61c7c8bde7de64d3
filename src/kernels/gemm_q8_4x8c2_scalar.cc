// Int8 4x8c2 GEMM microkernel, portable reference: int16 activations x int8 weights, int32 sums.
#include "kernels/gemm_internal.h"

namespace bt {

void qd8_qc8w_gemm_ukernel_4x8c2__scalar(size_t mr, size_t kp, const int16_t* a, size_t a_stride,
                                         const int8_t* w, int32_t* c) {
  for (size_t r = 0; r < 4; ++r) {
    const int16_t* ar = a + (r < mr ? r : mr - 1) * a_stride;
    int32_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t p = 0; p < kp; ++p) {
      const int8_t* wp = w + p * 16;
      for (size_t j = 0; j < 8; ++j) {
        const int8_t* pair = wp + (j / 4) * 8 + (j % 4) * 2;
        acc[j] += ar[2 * p] * pair[0] + ar[2 * p + 1] * pair[1];
      }
    }
    for (size_t j = 0; j < 8; ++j) c[r * 8 + j] = acc[j];
  }
}

}  // namespace bt
