// Row softmax, 4-wide: max, then e^(x - max) with vmath::Exp (relative error <= 1.2e-7) summed in
// 4 lanes, then a scale by 1/sum.
#include "kernels/norm.h"
#include "kernels/vmath.h"

namespace bt {

void SoftmaxRow(float* x, int32_t n) {
  using vmath::v4f;
  if (n <= 0) return;
  const int32_t n4 = n & ~3, rest = n - n4;
  v4f vmax = vmath::Splat(x[0]);
  for (int32_t i = 0; i < n4; i += 4) vmax = vmath::Max(vmax, vmath::Load(x + i));
  if (rest != 0) vmax = vmath::Max(vmax, vmath::LoadPartial(x + n4, rest, x[0]));
  const v4f max = vmath::Splat(vmath::HorizontalMax(vmax));

  v4f vsum = vmath::Splat(0.0f);
  for (int32_t i = 0; i < n4; i += 4) {
    const v4f e = vmath::Exp(vmath::Load(x + i) - max);
    vmath::Store(x + i, e);
    vsum += e;
  }
  if (rest != 0) {
    // Padding lanes hold -inf-like values whose exponential is exactly 0.
    const v4f e = vmath::Exp(vmath::LoadPartial(x + n4, rest, -1e30f) - max);
    vmath::StorePartial(x + n4, e, rest);
    vsum += e;
  }
  const v4f inv = vmath::Splat(1.0f / vmath::HorizontalSum(vsum));
  for (int32_t i = 0; i < n4; i += 4) vmath::Store(x + i, vmath::Load(x + i) * inv);
  for (int32_t i = n4; i < n; ++i) x[i] *= inv[0];
}

}  // namespace bt
