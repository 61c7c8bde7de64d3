#include "models/dropout.h"

namespace bt {

// Training only: compiled for size (the wasm's 1 MB bound); the mask's hash dominates, not the loop.
__attribute__((minsize)) bool DropoutKept(uint64_t key, uint64_t site, float p, int64_t index) { return DropoutMask(key, site, p).Kept(index); }

__attribute__((minsize)) void ApplyDropout(uint64_t key, uint64_t site, float p, float* x, int64_t n) {
  const DropoutMask mask(key, site, p);
  for (int64_t i = 0; i < n; ++i) x[i] = mask.Kept(i) ? x[i] * mask.scale() : 0.0f;
}

__attribute__((minsize)) void DropoutResidual(uint64_t key, uint64_t site, float p, const float* residual, float* out, int64_t n) {
  const DropoutMask mask(key, site, p);
  for (int64_t i = 0; i < n; ++i) out[i] = residual[i] + (mask.Kept(i) ? out[i] * mask.scale() : 0.0f);
}

}  // namespace bt
