// Occlusion and LIME: the target evaluated on copies of the input with words replaced by the
// baseline (batched forwards, no gradients).
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "explain/methods.h"
#include "explain/ridge.h"

namespace bt {
namespace {

// The target on `count` masked copies of the input (masks: [count, num_words] of 0/1), `chunk` copies
// per batch (forwards only); End() reads the values.
class MaskedRun : public MethodPasses {
 public:
  MaskedRun(const MethodContext& c, std::vector<uint8_t> masks, int32_t count, const char* unit)
      : masks_(std::move(masks)), count_(count), chunk_(ItemsPerBatch(c, count)), unit_(unit) {
    values_.assign(static_cast<size_t>(count), 0.0);
  }
  const char* unit() const override { return unit_; }
  int64_t items() const override { return count_; }
  int64_t batches() const override { return (count_ + chunk_ - 1) / chunk_; }
  int64_t ItemsAfter(int64_t b) const override { return std::min<int64_t>(count_, b * chunk_); }

  Status RunBatch(const MethodContext& c, int64_t b, Explanation& /*out*/) override {
    const int32_t start = static_cast<int32_t>(b) * chunk_, n = std::min(chunk_, count_ - start);
    const std::vector<float> sets = MaskWords(c, masks_.data() + static_cast<size_t>(start) * c.num_words, n);
    GradientRequest g{sets.data(), n, c.request.max_batch_tokens};
    std::vector<double> values;
    BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, nullptr, c.input, c.target, g, values, nullptr, c.pool));
    std::copy(values.begin(), values.end(), values_.begin() + start);
    return Status::Ok();
  }

 protected:
  std::vector<uint8_t> masks_;
  int32_t count_, chunk_;
  const char* unit_;
  std::vector<double> values_;
};

// Mask 0 keeps everything (f(x)); mask 1 + w removes word w.
class OcclusionRun : public MaskedRun {
 public:
  explicit OcclusionRun(const MethodContext& c) : MaskedRun(c, Masks(c.num_words), c.num_words + 1, "sequences") {}
  Status End(const MethodContext& c, Explanation& out) override {
    out.forward_sequences += count_;
    out.words.resize(static_cast<size_t>(c.num_words));
    for (int32_t w = 0; w < c.num_words; ++w) out.words[w] = values_[0] - values_[w + 1];
    return Status::Ok();
  }

 private:
  static std::vector<uint8_t> Masks(int32_t words) {
    std::vector<uint8_t> masks(static_cast<size_t>(words + 1) * words, 1);
    for (int32_t w = 0; w < words; ++w) masks[static_cast<size_t>(w + 1) * words + w] = 0;
    return masks;
  }
};

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

// LIME: the masked copies' batches, then the ridge fit's parts but the last as batches of their own
// (the fit of 10,000 samples × 512 words is ~1.3 G multiply-adds), the last in End.
class LimeRun : public MaskedRun {
 public:
  explicit LimeRun(const MethodContext& c)
      : MaskedRun(c, LimeMasks(c.num_words, c.request.samples, c.request.seed), c.request.samples, "samples"),
        fit_(c.request.samples, c.num_words, c.request.ridge_alpha, kFitWorkPerBatch) {}
  int64_t batches() const override { return MaskedRun::batches() + fit_.parts() - 1; }
  Status RunBatch(const MethodContext& c, int64_t b, Explanation& out) override {
    const int64_t sampling = MaskedRun::batches();
    if (b < sampling) return MaskedRun::RunBatch(c, b, out);
    if (b == sampling) StartFit(c);
    fit_.RunPart(b - sampling);
    return Status::Ok();
  }
  Status End(const MethodContext& c, Explanation& out) override {
    out.forward_sequences += count_;
    if (fit_.parts() == 1) StartFit(c);
    fit_.RunPart(fit_.parts() - 1);
    out.words = fit_.coefficients();
    return Status::Ok();
  }

 private:
  // Multiply-adds per batch of the fit (~20–60 ms in wasm).
  static constexpr int64_t kFitWorkPerBatch = int64_t{1} << 25;

  void StartFit(const MethodContext& c) {
    const int32_t words = c.num_words, samples = count_;
    std::vector<double> x(masks_.begin(), masks_.end()), weights(static_cast<size_t>(samples));
    for (int32_t s = 0; s < samples; ++s) {
      int32_t kept = 0;
      for (int32_t w = 0; w < words; ++w) kept += masks_[static_cast<size_t>(s) * words + w];
      // Cosine distance to the all-ones input, then LIME's kernel sqrt(exp(-d²/width²)).
      const double d = 1.0 - std::sqrt(static_cast<double>(kept) / words);
      weights[s] = std::sqrt(std::exp(-d * d / (c.request.kernel_width * c.request.kernel_width)));
    }
    fit_.Start(std::move(x), values_, std::move(weights));
  }

  WeightedRidgeFit fit_;
};

}  // namespace

std::vector<float> MaskWords(const MethodContext& c, const uint8_t* keep_masks, int32_t count) {
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

std::unique_ptr<MethodPasses> OcclusionPasses(const MethodContext& c) { return std::make_unique<OcclusionRun>(c); }

std::unique_ptr<MethodPasses> LimePasses(const MethodContext& c) { return std::make_unique<LimeRun>(c); }

}  // namespace bt
