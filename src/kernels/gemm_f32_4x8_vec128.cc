// f32 4x8 GEMM microkernel on GCC/Clang generic 128-bit vectors: SSE2 on x86-64, NEON on arm64.
// Same algorithm as the scalar reference: per k, one splat of each A value times two 4-wide
// weight vectors, multiply then add (no FMA), so results match it bitwise.
#include <cstring>

#include "kernels/gemm_internal.h"

namespace bt {
namespace {

typedef float v4f __attribute__((vector_size(16)));

inline v4f Load(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store(float* p, v4f v) { std::memcpy(p, &v, sizeof(v)); }
inline v4f Splat(float x) { return v4f{x, x, x, x}; }

}  // namespace

void f32_gemm_ukernel_4x8__vec128(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                  const float* w, const float* bias, float* c, size_t c_stride) {
  // Rows past mr alias the previous row (XNNPACK's clamping): computed twice, stored once.
  const float* a0 = a;
  const float* a1 = mr > 1 ? a0 + a_stride : a0;
  const float* a2 = mr > 2 ? a1 + a_stride : a1;
  const float* a3 = mr > 3 ? a2 + a_stride : a2;
  float* c0 = c;
  float* c1 = mr > 1 ? c0 + c_stride : c0;
  float* c2 = mr > 2 ? c1 + c_stride : c1;
  float* c3 = mr > 3 ? c2 + c_stride : c2;

  v4f acc[4][2];
  if (bias != nullptr) {
    const v4f b0 = Load(bias), b1 = Load(bias + 4);
    for (int r = 0; r < 4; ++r) acc[r][0] = b0, acc[r][1] = b1;
  } else {
    float* rows[4] = {c0, c1, c2, c3};
    for (int r = 0; r < 4; ++r) {
      float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::memcpy(tmp, rows[r], sizeof(float) * nc);
      acc[r][0] = Load(tmp);
      acc[r][1] = Load(tmp + 4);
    }
  }

  for (size_t kk = 0; kk < kc; ++kk) {
    const v4f w0 = Load(w), w1 = Load(w + 4);
    w += kGemmNR;
    const v4f x0 = Splat(*a0++), x1 = Splat(*a1++), x2 = Splat(*a2++), x3 = Splat(*a3++);
    acc[0][0] = acc[0][0] + x0 * w0, acc[0][1] = acc[0][1] + x0 * w1;
    acc[1][0] = acc[1][0] + x1 * w0, acc[1][1] = acc[1][1] + x1 * w1;
    acc[2][0] = acc[2][0] + x2 * w0, acc[2][1] = acc[2][1] + x2 * w1;
    acc[3][0] = acc[3][0] + x3 * w0, acc[3][1] = acc[3][1] + x3 * w1;
  }

  float* rows[4] = {c3, c2, c1, c0};  // row 0 stored last so clamped rows never win
  for (int i = 0; i < 4; ++i) {
    const int r = 3 - i;
    if (nc == kGemmNR) {
      Store(rows[i], acc[r][0]);
      Store(rows[i] + 4, acc[r][1]);
    } else {
      float tmp[8];
      Store(tmp, acc[r][0]);
      Store(tmp + 4, acc[r][1]);
      std::memcpy(rows[i], tmp, sizeof(float) * nc);
    }
  }
}

}  // namespace bt
