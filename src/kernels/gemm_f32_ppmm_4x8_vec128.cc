// f32 4x8 ppmm microkernel on GCC/Clang generic 128-bit vectors: SSE2 on x86-64, NEON on arm64.
// Same algorithm as the scalar reference: per k, one splat of each packed A value times two 4-wide
// weight vectors, multiply then add (no FMA), so results match it bitwise.
#include "kernels/gemm_internal.h"
#include "kernels/vmath.h"

namespace bt {

using vmath::Load;
using vmath::Splat;
using vmath::Store;
using vmath::v4f;

void f32_ppmm_ukernel_4x8__vec128(size_t mr, size_t nc, size_t kc, const float* a, const float* w,
                                  size_t w_stride, float* c, size_t c_stride) {
  // Rows past mr alias the previous row (XNNPACK's clamping): computed twice, stored once.
  float* c0 = c;
  float* c1 = mr > 1 ? c0 + c_stride : c0;
  float* c2 = mr > 2 ? c1 + c_stride : c1;
  float* c3 = mr > 3 ? c2 + c_stride : c2;
  float* rows[4] = {c0, c1, c2, c3};
  for (size_t n0 = 0; n0 < nc; n0 += kGemmNR, w += w_stride) {
    v4f acc[4][2];
    for (int r = 0; r < 4; ++r) acc[r][0] = Load(rows[r] + n0), acc[r][1] = Load(rows[r] + n0 + 4);
    const float* wk = w;
    const float* ak = a;
    for (size_t kk = 0; kk < kc; ++kk, wk += kGemmNR, ak += kGemmMR) {
      const v4f w0 = Load(wk), w1 = Load(wk + 4);
      const v4f x0 = Splat(ak[0]), x1 = Splat(ak[1]), x2 = Splat(ak[2]), x3 = Splat(ak[3]);
      acc[0][0] = acc[0][0] + x0 * w0, acc[0][1] = acc[0][1] + x0 * w1;
      acc[1][0] = acc[1][0] + x1 * w0, acc[1][1] = acc[1][1] + x1 * w1;
      acc[2][0] = acc[2][0] + x2 * w0, acc[2][1] = acc[2][1] + x2 * w1;
      acc[3][0] = acc[3][0] + x3 * w0, acc[3][1] = acc[3][1] + x3 * w1;
    }
    for (int r = 3; r >= 0; --r) Store(rows[r] + n0, acc[r][0]), Store(rows[r] + n0 + 4, acc[r][1]);
  }
}

}  // namespace bt
