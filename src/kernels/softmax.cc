// Row softmax: max-subtracted exp, then a scale by 1/sum.
#include <cmath>

#include "kernels/norm.h"

namespace bt {

void SoftmaxRow(float* x, int32_t n) {
  if (n <= 0) return;
  float max = x[0];
  for (int32_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  float sum = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int32_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace bt
