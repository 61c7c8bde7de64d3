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

void ScaledSoftmaxPack4(size_t mr, int32_t n, float scale, float* s, size_t stride, float* packed, float inv[4]) {
  using vmath::v4f;
  using vmath::v4i;
  if (n <= 0) return;
  const int32_t n4 = n & ~3, rest = n - n4;
  const v4f vscale = vmath::Splat(scale);
  const v4i tail_lanes = v4i{0, 1, 2, 3} < vmath::v4i{rest, rest, rest, rest};  // lanes < rest
  float* rows[4];
  for (size_t r = 0; r < 4; ++r) rows[r] = s + (r < mr ? r : mr - 1) * stride;
  for (size_t r = 0; r < mr; ++r) {
    float* x = rows[r];
    // SoftmaxRow's passes over the scaled row, the scaling recomputed in each (the same product).
    v4f vmax = vmath::Splat(x[0] * scale);
    for (int32_t i = 0; i < n4; i += 4) vmax = vmath::Max(vmax, vmath::Load(x + i) * vscale);
    if (rest != 0) vmax = vmath::Max(vmax, vmath::LoadPartial(x + n4, rest, x[0]) * vscale);
    const v4f max = vmath::Splat(vmath::HorizontalMax(vmax));
    v4f vsum = vmath::Splat(0.0f);
    for (int32_t i = 0; i < n4; i += 4) {
      const v4f e = vmath::ExpNonPositive(vmath::Load(x + i) * vscale - max);
      vmath::Store(x + i, e);
      vsum += e;
    }
    if (rest != 0) {  // lanes past n: exactly 0, as SoftmaxRow's -1e30 padding gives
      const v4f z = vmath::Select(tail_lanes, vmath::Load(x + n4) * vscale, vmath::Splat(-1e30f)) - max;
      const v4f e = vmath::ExpNonPositive(z);
      vmath::Store(x + n4, e);
      vsum += e;
    }
    inv[r] = 1.0f / vmath::HorizontalSum(vsum);
  }
  for (size_t r = mr; r < 4; ++r) inv[r] = inv[mr - 1];
  const v4f i0 = vmath::Splat(inv[0]), i1 = vmath::Splat(inv[1]), i2 = vmath::Splat(inv[2]), i3 = vmath::Splat(inv[3]);
  int32_t t = 0;
  for (; t < n4; t += 4, packed += 16) {  // normalise 4 x 4 and transpose (f32_pack_a4's layout)
    const v4f r0 = vmath::Load(rows[0] + t) * i0, r1 = vmath::Load(rows[1] + t) * i1;
    const v4f r2 = vmath::Load(rows[2] + t) * i2, r3 = vmath::Load(rows[3] + t) * i3;
    v4f tr[4];
    vmath::Transpose4x4(r0, r1, r2, r3, tr);
    for (int i = 0; i < 4; ++i) vmath::Store(packed + 4 * i, tr[i]);
  }
  for (; t < n; ++t, packed += 4) {
    for (int r = 0; r < 4; ++r) packed[r] = rows[r][t] * inv[r];
  }
}

}  // namespace bt
