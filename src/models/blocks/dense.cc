#include "models/blocks/dense.h"

#include <cmath>

namespace bt {

void LinearBackward(const PackedLinear& wt, const float* dy, int32_t m, bool accumulate, float* dx, ThreadPool& pool,
                    LinearScratch scratch) {
  LinearForward(wt, dy, m, Activation::kNone, accumulate ? dx : nullptr, dx, pool, nullptr, scratch);
}

void AccumulateLinearGrads(const float* x, const float* dy, int32_t m, int32_t n, int32_t k, const LinearGrads& grads,
                           ThreadPool& pool) {
  if (grads.weight != nullptr) {
    pool.ParallelFor(n, 1, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        float* row = grads.weight + j * k;
        for (int32_t r = 0; r < m; ++r) {
          const float g = dy[static_cast<size_t>(r) * n + j];
          if (g == 0.0f) continue;
          const float* xr = x + static_cast<size_t>(r) * k;
          for (int32_t i = 0; i < k; ++i) row[i] += g * xr[i];
        }
      }
    });
  }
  if (grads.bias != nullptr) {
    for (int32_t r = 0; r < m; ++r) {
      for (int32_t j = 0; j < n; ++j) grads.bias[j] += dy[static_cast<size_t>(r) * n + j];
    }
  }
}

void GeluErfBackward(const float* pre, float* grad, int64_t n) {
  constexpr double kInvSqrt2 = 0.70710678118654752, kInvSqrt2Pi = 0.39894228040143268;
  for (int64_t i = 0; i < n; ++i) {
    const double x = pre[i];
    grad[i] = static_cast<float>(grad[i] * (0.5 * (1.0 + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x)));
  }
}

void GeluTanhBackward(const float* pre, float* grad, int64_t n) {
  constexpr double kBeta = 0.79788456080286536, kKappa = 0.044715;
  for (int64_t i = 0; i < n; ++i) {
    const double x = pre[i];
    const double t = std::tanh(kBeta * (x + kKappa * x * x * x));
    grad[i] = static_cast<float>(grad[i] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * kBeta * (1.0 + 3.0 * kKappa * x * x)));
  }
}

void TanhBackward(const float* pre, float* grad, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double t = std::tanh(static_cast<double>(pre[i]));
    grad[i] = static_cast<float>(grad[i] * (1.0 - t * t));
  }
}

void ReluBackward(const float* pre, float* grad, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad[i] = pre[i] > 0.0f ? grad[i] : 0.0f;
}

void ActivationBackward(Activation act, const float* pre, float* grad, int64_t n) {
  switch (act) {
    case Activation::kNone: return;
    case Activation::kGeluErf: GeluErfBackward(pre, grad, n); return;
    case Activation::kGeluTanh: GeluTanhBackward(pre, grad, n); return;
    case Activation::kTanh: TanhBackward(pre, grad, n); return;
    case Activation::kRelu: ReluBackward(pre, grad, n); return;
  }
}

}  // namespace bt
