// Dropout in the training forward (issue 19), as torch.nn.Dropout in train mode: each value is kept
// with probability 1 − p and then scaled by 1/(1 − p), else it is 0. The mask is a pure function of
// (key, site, index) — a counter-based hash (SplitMix64's finaliser) — so the backward recomputes it
// instead of storing it, and one key gives one mask (finite differences, resume bit for bit). The
// trainer derives the key from its seed and step; inference and explanations never set a Dropout, and
// p = 0 takes no dropout code at all (the forward is then bitwise the one without).
//
// Sites (BERT's, post-norm layers): the embeddings' output; each layer's attention output projection
// and feed-forward output before their residual sums (HF hidden_dropout_prob); the attention
// probabilities of each taped layer (HF attention_probs_dropout_prob; scaled dot product only); the
// input of the head's last dense step (HF classifier_dropout / seq_classif_dropout).
#pragma once

#include <cstdint>

namespace bt {

struct Dropout {
  float hidden = 0.0f;      // embeddings output, attention output, FFN output
  float attention = 0.0f;   // attention probabilities (taped layers)
  float classifier = 0.0f;  // the input of the head's last dense step
  uint64_t key = 0;
  bool active() const { return hidden > 0.0f || attention > 0.0f || classifier > 0.0f; }
};

inline constexpr uint64_t kDropoutEmbeddings = 1, kDropoutClassifier = 2;
inline uint64_t DropoutSiteAttention(int32_t applied_layer) { return 16 + 2 * static_cast<uint64_t>(applied_layer); }
inline uint64_t DropoutSiteFfn(int32_t applied_layer) { return 17 + 2 * static_cast<uint64_t>(applied_layer); }
inline uint64_t DropoutSiteProbs(int32_t applied_layer) { return (uint64_t{1} << 32) + static_cast<uint64_t>(applied_layer); }

// One site's mask, value by value (hot loops: the attention probabilities).
class DropoutMask {
 public:
  DropoutMask(uint64_t key, uint64_t site, float p)
      : base_(Mix(key ^ Mix(site * 0x9E3779B97F4A7C15ull))),
        threshold_(static_cast<uint32_t>(static_cast<double>(p) * (1u << 24))),
        scale_(static_cast<float>(1.0 / (1.0 - static_cast<double>(p)))) {}
  // Kept when a uniform 24-bit draw in [0, 1) is >= p (P(kept) = 1 − p to 2^-24).
  bool Kept(int64_t index) const {
    return static_cast<uint32_t>(Mix(base_ + static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull) >> 40) >= threshold_;
  }
  float Scale(int64_t index) const { return Kept(index) ? scale_ : 0.0f; }
  float scale() const { return scale_; }

 private:
  static uint64_t Mix(uint64_t z) {  // SplitMix64's finaliser
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t base_;
  uint32_t threshold_;
  float scale_;
};

// x[i] *= (kept ? 1/(1-p) : 0) for the n values of `site` (index i). Applied to a gradient it is the backward.
void ApplyDropout(uint64_t key, uint64_t site, float p, float* x, int64_t n);
// out[i] = residual[i] + (kept ? 1/(1-p) : 0)·out[i]: a sublayer's dropped output added to its residual.
void DropoutResidual(uint64_t key, uint64_t site, float p, const float* residual, float* out, int64_t n);
// Whether value `index` of `site` is kept (tests).
bool DropoutKept(uint64_t key, uint64_t site, float p, int64_t index);

}  // namespace bt
