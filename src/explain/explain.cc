#include "explain/explain.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "explain/methods.h"

namespace bt {
namespace {

int32_t CountWords(const std::vector<int32_t>& words) {
  int32_t n = 0;
  for (int32_t w : words) n = std::max(n, w + 1);
  return n;
}

bool NeedsGradients(ExplainMethod m) {
  return m == ExplainMethod::kGradXInput || m == ExplainMethod::kIntegratedGradients ||
         m == ExplainMethod::kGradientWeightedRollout;
}

Result<Prediction> Predict(const ModelParts& parts, Arena& arena, const SequenceInput& in, const Target& target,
                           const float* x, ThreadPool& pool) {
  BT_ASSIGN_OR_RETURN(const std::vector<float> head, TargetHeadOutput(parts, arena, in, target, x, pool));
  Prediction p;
  p.target = ResolveTarget(parts, target, head.data(), in.mask.data(), in.seq);
  const std::vector<double> z = TargetLogits(parts, p.target, head.data(), in.mask.data(), in.seq);
  // ELECTRA's discriminator has one logit per token: its probability is the sigmoid.
  const std::vector<double> prob = parts.head == HeadKind::kReplacedTokenDetection
                                       ? std::vector<double>{1.0 / (1.0 + std::exp(-z[0]))}
                                       : Softmax(z);
  const int32_t c = parts.head == HeadKind::kQuestionAnswering ? p.target.position : p.target.index;
  p.value = TargetValue(parts, p.target, head.data(), in.mask.data(), in.seq, nullptr);
  p.logit = z[c];
  p.probability = prob[c];
  std::vector<int32_t> order(z.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min<size_t>(5, order.size());
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) { return z[a] > z[b]; });
  p.argmax = order[0];
  p.argmax_probability = prob[order[0]];
  for (size_t i = 0; i < k; ++i) {
    p.top.push_back(order[i]);
    p.top_probabilities.push_back(prob[order[i]]);
  }
  return p;
}

// Word sums from token values, or (perturbation methods) token shares from word values.
void Aggregate(const std::vector<int32_t>& words, int32_t num_words, Explanation& out) {
  if (out.words.empty()) {
    out.words.assign(static_cast<size_t>(num_words), 0.0);
    for (size_t t = 0; t < words.size(); ++t) {
      if (words[t] >= 0) out.words[words[t]] += out.tokens[t];
    }
    return;
  }
  std::vector<int32_t> sizes(static_cast<size_t>(num_words), 0);
  for (int32_t w : words) {
    if (w >= 0) ++sizes[w];
  }
  out.tokens.assign(words.size(), 0.0);
  for (size_t t = 0; t < words.size(); ++t) {
    if (words[t] >= 0) out.tokens[t] = out.words[words[t]] / sizes[words[t]];
  }
}

}  // namespace

Result<ExplainMethod> ParseExplainMethod(const std::string& name) {
  for (ExplainMethod m : {ExplainMethod::kGradXInput, ExplainMethod::kIntegratedGradients, ExplainMethod::kOcclusion,
                          ExplainMethod::kLime, ExplainMethod::kAttentionRollout, ExplainMethod::kGradientWeightedRollout}) {
    if (name == ExplainMethodName(m)) return m;
  }
  return Status::InvalidArgument("explain: unknown method '" + name +
                       "' (grad_x_input, integrated_gradients, occlusion, lime, attention_rollout, "
                       "gradient_weighted_rollout)");
}

const char* ExplainMethodName(ExplainMethod method) {
  switch (method) {
    case ExplainMethod::kGradXInput: return "grad_x_input";
    case ExplainMethod::kIntegratedGradients: return "integrated_gradients";
    case ExplainMethod::kOcclusion: return "occlusion";
    case ExplainMethod::kLime: return "lime";
    case ExplainMethod::kAttentionRollout: return "attention_rollout";
    case ExplainMethod::kGradientWeightedRollout: return "gradient_weighted_rollout";
  }
  return "?";
}

bool UsesZeroBaseline(ExplainMethod method, Baseline baseline) {
  return baseline == Baseline::kZero || (baseline == Baseline::kDefault && method == ExplainMethod::kGradXInput);
}

Status ValidateExplainRequest(const ModelParts& parts, const ExplainRequest& r) {
  const int32_t seq = static_cast<int32_t>(r.ids.size());
  if (seq == 0) return Status::InvalidArgument("explain: empty input");
  if (r.words.size() != r.ids.size() || (!r.type_ids.empty() && r.type_ids.size() != r.ids.size())) {
    return Status::InvalidArgument("explain: words and type ids need one entry per token");
  }
  for (int32_t w : r.words) {
    if (w < -1 || w >= seq) return Status::InvalidArgument("explain: word index " + std::to_string(w) + " out of range");
  }
  if (CountWords(r.words) == 0) return Status::InvalidArgument("explain: the text has no words to attribute");
  if (r.steps < 1 || r.steps > kMaxSteps) {
    return Status::InvalidArgument("explain: steps must be in [1, " + std::to_string(kMaxSteps) + "], got " + std::to_string(r.steps));
  }
  if (r.samples < 1 || r.samples > kMaxSamples) {
    return Status::InvalidArgument("explain: samples must be in [1, " + std::to_string(kMaxSamples) + "], got " +
                         std::to_string(r.samples));
  }
  if (!(r.kernel_width > 0.0) || !(r.ridge_alpha >= 0.0)) {
    return Status::InvalidArgument("explain: kernel_width must be > 0 and ridge_alpha >= 0");
  }
  if (r.max_batch_tokens < 1) return Status::InvalidArgument("explain: max_batch_tokens must be positive");
  if (r.baseline_id < 0 || r.baseline_id >= parts.encoder.vocab_size) {
    return Status::InvalidArgument("explain: baseline token id " + std::to_string(r.baseline_id) + " is outside the vocabulary");
  }
  std::vector<int32_t> ones(r.ids.size(), 1);
  EncoderInput in{1, seq, r.ids.data(), r.type_ids.empty() ? nullptr : r.type_ids.data(), ones.data()};
  BT_RETURN_IF_ERROR(ValidateEncoderInput(parts.encoder, in).WithContext("explain"));
  return ValidateTarget(parts, r.target, seq);
}

Result<Explanation> Explainer::Explain(const ExplainRequest& r, ThreadPool& pool) {
  const ModelParts& parts = model_.parts();
  BT_RETURN_IF_ERROR(ValidateExplainRequest(parts, r));
  if (NeedsGradients(r.method)) BT_RETURN_IF_ERROR(PrepareBackward());
  Result<Explanation> out = Run(r, pool);
  model_.TrimArena();  // the taped batches needed more than inference: give it back
  return out;
}

Result<Explanation> Explainer::Run(const ExplainRequest& r, ThreadPool& pool) {
  const ModelParts& parts = model_.parts();
  SequenceInput in;
  in.seq = static_cast<int32_t>(r.ids.size());
  in.ids = r.ids;
  in.type_ids = r.type_ids;
  in.mask.assign(r.ids.size(), 1);
  const int32_t e = parts.encoder.embedding_size;
  std::vector<float> x(static_cast<size_t>(in.seq) * e), baseline(x.size(), 0.0f), pad(static_cast<size_t>(e), 0.0f);
  GatherWordEmbeddings(parts.encoder.embeddings, in.ids.data(), in.seq, x.data());
  if (!UsesZeroBaseline(r.method, r.baseline)) GatherWordEmbeddings(parts.encoder.embeddings, &r.baseline_id, 1, pad.data());
  for (int32_t t = 0; t < in.seq; ++t) {
    const float* src = r.words[t] < 0 ? x.data() + static_cast<size_t>(t) * e : pad.data();
    std::copy(src, src + e, baseline.begin() + static_cast<size_t>(t) * e);
  }
  Explanation out;
  BT_ASSIGN_OR_RETURN(out.prediction, Predict(parts, model_.arena(), in, r.target, x.data(), pool));
  out.forward_sequences = 1;
  const int32_t num_words = CountWords(r.words);
  const MethodContext c{parts, model_.arena(), &weights_, in, out.prediction.target, r, x, baseline, num_words, pool};
  switch (r.method) {
    case ExplainMethod::kGradXInput: BT_RETURN_IF_ERROR(GradXInput(c, out)); break;
    case ExplainMethod::kIntegratedGradients: BT_RETURN_IF_ERROR(IntegratedGradients(c, out)); break;
    case ExplainMethod::kOcclusion: BT_RETURN_IF_ERROR(Occlusion(c, out)); break;
    case ExplainMethod::kLime: BT_RETURN_IF_ERROR(Lime(c, out)); break;
    case ExplainMethod::kAttentionRollout: BT_RETURN_IF_ERROR(AttentionRollout(c, out)); break;
    case ExplainMethod::kGradientWeightedRollout: BT_RETURN_IF_ERROR(GradientWeightedRollout(c, out)); break;
  }
  Aggregate(r.words, num_words, out);
  return out;
}

}  // namespace bt
