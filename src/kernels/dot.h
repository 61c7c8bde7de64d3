// Dot products and axpy over float rows, for the attention blocks' per-row loops (scores against
// relative-position tables, the gradient rows of their backward passes). Header-only so that they
// inline into those loops, as the per-file copies they replace did. Each has a fixed order of
// operations, so a result does not depend on the build or on the number of threads.
#pragma once

#include <cstdint>

namespace bt {

// Four partial sums, s_l over i = 4m + l (the compiler keeps them in one SIMD register), combined as
// (s0 + s1) + (s2 + s3); the n % 4 tail is then added in order (head_dim is a multiple of 4 in every
// released model, so there is none).
inline float DotF32(const float* a, const float* b, int32_t n) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  float s = (s0 + s1) + (s2 + s3);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// The scalar form: one running sum in index order (DotF32's reference in tests/native/test_kernels_dot.cc).
inline float DotF32Scalar(const float* a, const float* b, int32_t n) {
  float s = 0.0f;
  for (int32_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// y += alpha * x.
inline void AxpyF32(float alpha, const float* x, float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace bt
