#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

namespace bt {

double LinearScheduleFactor(int64_t step, int64_t warmup_steps, int64_t total_steps) {
  if (step < warmup_steps) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  return std::max(0.0, static_cast<double>(total_steps - step) /
                           static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps)));
}

// Once per step over the trained values: compiled for size (the wasm's 1 MB bound; no fast-math either
// way, the results are the same).
__attribute__((minsize)) double ClipGradNorm(const std::vector<OptimizerTensor>& tensors, double max_norm) {
  double sum = 0;
  for (const OptimizerTensor& t : tensors) {
    for (int64_t i = 0; i < t.size; ++i) sum += static_cast<double>(t.grad[i]) * t.grad[i];
  }
  const double norm = std::sqrt(sum);
  if (max_norm > 0) {
    const double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
      const float c = static_cast<float>(coef);
      for (const OptimizerTensor& t : tensors) {
        for (int64_t i = 0; i < t.size; ++i) t.grad[i] *= c;
      }
    }
  }
  return norm;
}

__attribute__((minsize)) void AdamWStep(const std::vector<OptimizerTensor>& tensors, const OptimizerOptions& o, double lr,
                                         int64_t t) {
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
  const double sqrt_bc2 = std::sqrt(bc2);
  const float b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
  for (const OptimizerTensor& p : tensors) {
    const double tensor_lr = p.head && o.head_lr > 0 ? lr * (o.head_lr / o.lr) : lr;  // torch param groups
    const double step_size = tensor_lr / bc1;
    const float shrink = static_cast<float>(1.0 - tensor_lr * (p.decay ? o.weight_decay : 0.0));
    for (int64_t i = 0; i < p.size; ++i) {
      const float g = p.grad[i];
      float value = p.value[i] * shrink;
      p.m[i] = b1 * p.m[i] + (1.0f - b1) * g;
      p.v[i] = b2 * p.v[i] + (1.0f - b2) * g * g;
      const double denom = std::sqrt(static_cast<double>(p.v[i])) / sqrt_bc2 + o.eps;
      value -= static_cast<float>(step_size * p.m[i] / denom);
      p.value[i] = value;
    }
  }
}

}  // namespace bt
