// Element-wise activations. GELU (erf and tanh forms) runs 4-wide with the approximations of
// vmath.h; ApplyActivationReference is the plain libm statement of every activation.
#include <cmath>

#include "kernels/activation.h"
#include "kernels/vmath.h"

namespace bt {
namespace {

using vmath::v4f;

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kGeluTanhBeta = 0.79788456080286536f;  // sqrt(2/pi)
constexpr float kGeluTanhKappa = 0.044715f;

// z = x/sqrt(2) >= -0.875: 0.5x(1 + erf(z)) with the rational erf (1 + erf(z) >= 0.21: no
// cancellation, relative accuracy holds for large positive x too). z < -0.875: 0.5x erfc(-z) from
// the erfc form (relative accuracy where 1 + erf(z) would cancel). The erfc work is skipped for the
// (common) groups of four with no such lane; each lane's formula depends only on its own value.
inline v4f GeluErf(v4f x) {
  const v4f half_x = x * vmath::Splat(0.5f);
  const v4f z = x * vmath::Splat(kSqrtHalf);
  const v4f small = half_x + half_x * vmath::Erf(z);
  const vmath::v4i tail_lanes = z < vmath::Splat(-0.875f);
  if (!vmath::AnyTrue(tail_lanes)) return small;
  const v4f tail = half_x * vmath::ErfcLarge(vmath::Max(vmath::Splat(0.0f) - z, vmath::Splat(0.875f)));
  return vmath::Select(tail_lanes, tail, small);
}

// 0.5x(1 + tanh(u)) = x / (1 + e^(-2u)): no cancellation for negative x.
inline v4f GeluTanh(v4f x) {
  const v4f u = vmath::Splat(kGeluTanhBeta) * (x + vmath::Splat(kGeluTanhKappa) * x * x * x);
  return x / (vmath::Splat(1.0f) + vmath::Exp(u * vmath::Splat(-2.0f)));
}

template <v4f (*F)(v4f)>
void Map(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) vmath::Store(x + i, F(vmath::Load(x + i)));
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    vmath::StorePartial(x + i, F(vmath::LoadPartial(x + i, rest, 0.0f)), rest);
  }
}

}  // namespace

void ApplyActivation(Activation act, float* x, int64_t n) {
  switch (act) {
    case Activation::kGeluErf:
      Map<GeluErf>(x, n);
      return;
    case Activation::kGeluTanh:
      Map<GeluTanh>(x, n);
      return;
    default:
      ApplyActivationReference(act, x, n);
  }
}

void ApplyActivationReference(Activation act, float* x, int64_t n) {
  switch (act) {
    case Activation::kNone:
      return;
    case Activation::kGeluErf:
      for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kSqrtHalf));
      return;
    case Activation::kGeluTanh:
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(kGeluTanhBeta * (v + kGeluTanhKappa * v * v * v)));
      }
      return;
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] <= 0.0f ? 0.0f : x[i];  // NaN stays NaN (torch.relu)
      return;
    case Activation::kTanh:  // only the pooler uses it: a few hundred values per sequence
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
  }
}

}  // namespace bt
