// Element-wise activations (precise libm erff/tanhf; matches torch.nn.functional within 1 ulp-ish).
#include <cmath>

#include "kernels/activation.h"

namespace bt {

void ApplyActivation(Activation act, float* x, int64_t n) {
  switch (act) {
    case Activation::kNone:
      return;
    case Activation::kGeluErf:
      for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
      return;
    case Activation::kGeluTanh: {
      constexpr float kBeta = 0.79788456080286536f;  // sqrt(2/pi)
      constexpr float kKappa = 0.044715f;
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(kBeta * (v + kKappa * v * v * v)));
      }
      return;
    }
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      return;
  }
}

}  // namespace bt
