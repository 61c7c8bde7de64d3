#include "models/dropout.h"

namespace bt {
namespace {

inline uint64_t Mix(uint64_t z) {  // SplitMix64's finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t SiteBase(uint64_t key, uint64_t site) { return Mix(key ^ Mix(site * 0x9E3779B97F4A7C15ull)); }

// Kept when a uniform 24-bit draw in [0, 1) is >= p (P(kept) = 1 − p to 2^-24).
inline bool Kept(uint64_t base, int64_t index, uint32_t threshold) {
  return static_cast<uint32_t>(Mix(base + static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull) >> 40) >= threshold;
}

inline uint32_t Threshold(float p) { return static_cast<uint32_t>(static_cast<double>(p) * (1u << 24)); }

}  // namespace

bool DropoutKept(uint64_t key, uint64_t site, float p, int64_t index) {
  return Kept(SiteBase(key, site), index, Threshold(p));
}

void ApplyDropout(uint64_t key, uint64_t site, float p, float* x, int64_t n) {
  const uint64_t base = SiteBase(key, site);
  const uint32_t threshold = Threshold(p);
  const float scale = static_cast<float>(1.0 / (1.0 - static_cast<double>(p)));
  for (int64_t i = 0; i < n; ++i) x[i] = Kept(base, i, threshold) ? x[i] * scale : 0.0f;
}

void DropoutResidual(uint64_t key, uint64_t site, float p, const float* residual, float* out, int64_t n) {
  const uint64_t base = SiteBase(key, site);
  const uint32_t threshold = Threshold(p);
  const float scale = static_cast<float>(1.0 / (1.0 - static_cast<double>(p)));
  for (int64_t i = 0; i < n; ++i) out[i] = residual[i] + (Kept(base, i, threshold) ? out[i] * scale : 0.0f);
}

}  // namespace bt
