// Occlusion and LIME: the target evaluated on copies of the input with words replaced by the
// baseline (batched forwards, no gradients).
#include <algorithm>
#include <cmath>

#include "explain/methods.h"
#include "explain/ridge.h"

namespace bt {
namespace {

// Target values for `count` masks (keep_masks: [count, num_words] of 0/1).
Status EvaluateMasks(const MethodContext& c, const std::vector<uint8_t>& keep_masks, int32_t count,
                     std::vector<double>& values, Explanation& out) {
  const std::vector<float> sets = MaskWords(c, keep_masks, count);
  GradientRequest g{sets.data(), count, c.request.max_batch_tokens};
  out.forward_sequences += count;
  return TargetGradients(c.parts, c.arena, nullptr, c.input, c.target, g, values, nullptr, c.pool);
}

// LIME's masks: the first keeps everything; each other removes k words, k uniform in
// [1, max(1, W - 1)], chosen uniformly without replacement (lime_text's sampling).
std::vector<uint8_t> LimeMasks(int32_t words, int32_t samples, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<uint8_t> masks(static_cast<size_t>(samples) * words, 1);
  std::vector<int32_t> order(static_cast<size_t>(words));
  for (int32_t s = 1; s < samples; ++s) {
    const int32_t remove = 1 + rng.Below(std::max(1, words - 1));
    for (int32_t i = 0; i < words; ++i) order[i] = i;
    for (int32_t i = 0; i < remove; ++i) {  // partial Fisher-Yates
      std::swap(order[i], order[i + rng.Below(words - i)]);
      masks[static_cast<size_t>(s) * words + order[i]] = 0;
    }
  }
  return masks;
}

}  // namespace

std::vector<float> MaskWords(const MethodContext& c, const std::vector<uint8_t>& keep_masks, int32_t count) {
  const int32_t e = c.parts.encoder.embedding_size, seq = c.input.seq;
  const size_t item = static_cast<size_t>(seq) * e;
  std::vector<float> sets(item * count);
  for (int32_t k = 0; k < count; ++k) {
    for (int32_t t = 0; t < seq; ++t) {
      const int32_t w = c.request.words[t];
      const bool keep = w < 0 || keep_masks[static_cast<size_t>(k) * c.num_words + w] != 0;
      const float* src = (keep ? c.x.data() : c.baseline.data()) + static_cast<size_t>(t) * e;
      std::copy(src, src + e, sets.data() + k * item + static_cast<size_t>(t) * e);
    }
  }
  return sets;
}

Status Occlusion(const MethodContext& c, Explanation& out) {
  const int32_t words = c.num_words;
  // Mask 0 keeps everything (f(x)); mask 1 + w removes word w.
  std::vector<uint8_t> masks(static_cast<size_t>(words + 1) * words, 1);
  for (int32_t w = 0; w < words; ++w) masks[static_cast<size_t>(w + 1) * words + w] = 0;
  std::vector<double> values;
  BT_RETURN_IF_ERROR(EvaluateMasks(c, masks, words + 1, values, out));
  out.words.resize(static_cast<size_t>(words));
  for (int32_t w = 0; w < words; ++w) out.words[w] = values[0] - values[w + 1];
  return Status::Ok();
}

Status Lime(const MethodContext& c, Explanation& out) {
  const int32_t words = c.num_words, samples = c.request.samples;
  const std::vector<uint8_t> masks = LimeMasks(words, samples, c.request.seed);
  std::vector<double> values;
  BT_RETURN_IF_ERROR(EvaluateMasks(c, masks, samples, values, out));
  std::vector<double> x(masks.begin(), masks.end()), weights(static_cast<size_t>(samples));
  for (int32_t s = 0; s < samples; ++s) {
    int32_t kept = 0;
    for (int32_t w = 0; w < words; ++w) kept += masks[static_cast<size_t>(s) * words + w];
    // Cosine distance to the all-ones input, then LIME's kernel sqrt(exp(-d²/width²)).
    const double d = 1.0 - std::sqrt(static_cast<double>(kept) / words);
    weights[s] = std::sqrt(std::exp(-d * d / (c.request.kernel_width * c.request.kernel_width)));
  }
  out.words = WeightedRidge(x, values, weights, samples, words, c.request.ridge_alpha);
  return Status::Ok();
}

}  // namespace bt
