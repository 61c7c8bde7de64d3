// The trainer's seeded random numbers: fresh heads (normal(0, initializer_range), as Hugging Face's
// _init_weights) and LoRA's A (kaiming-uniform with a = √5, as PEFT / nn.Linear). One 64-bit state
// (SplitMix64), so a checkpoint's state() restores it exactly. The values are not torch's (a different
// generator); the distributions are.
#pragma once

#include <cmath>
#include <cstdint>

namespace bt {

class TrainRng {
 public:
  explicit TrainRng(uint64_t seed = 42) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1): 53 random bits, never 0.
  double Uniform() { return (static_cast<double>(Next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
  // Standard normal (Box-Muller; one draw per call).
  double Normal() {
    const double u1 = Uniform(), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  uint64_t state() const { return state_; }
  void set_state(uint64_t s) { state_ = s; }

 private:
  uint64_t state_;
};

}  // namespace bt
