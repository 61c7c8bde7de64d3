// Explanations of one prediction, attributed to the input tokens and words:
//   grad_x_input          Σ ∂f/∂e·(e - e') per token at the embedding layer's output e =
//                         LN(word + type + position) (the encoder's input; Captum's gradient × layer
//                         activation on `embeddings`): the first-order Taylor estimate of f(e) - f(e').
//                         The default baseline is the zero embedding, e' = LN(0) = β (gradient ×
//                         input, crediting only the token-dependent part of e); baseline "pad" takes
//                         e' = the output with the word embedding replaced by [PAD]'s (the first-order
//                         estimate of occlusion; on SST-2 the zero baseline agrees far better with
//                         occlusion, the model being far from linear along the path to [PAD]).
//   integrated_gradients  (x - x')·∫ grad(x' + α(x - x')) dα, `steps` Gauss-Legendre nodes (or a
//                         trapezoid rule), interpolation points run as one batched forward/backward
//   occlusion             f(x) - f(x with one word's embeddings replaced by the baseline's)
//   lime                  weighted ridge regression of f over random word masks (seeded)
//   attention_rollout     Abnar & Zuidema (2020): heads averaged, identity added, rows renormalised,
//                         multiplied across layers; the target token's row ([CLS] for classifiers).
//                         Class-agnostic and unsigned.
//   gradient_weighted_rollout
//                         Chefer, Gur & Wolf (2021, "Generic attention-model explainability"): R = I,
//                         then per layer R += mean_heads((∂f/∂P ⊙ P)⁺)·R with P the attention
//                         probabilities; the target token's row. Target-specific, unsigned (≥ 0).
// Gradients are taken w.r.t. the word embeddings (HF inputs_embeds, as Captum does); the gradient
// w.r.t. the summed embeddings (word + position + type) is the same vector (grad_x_input also uses
// the one at the embedding LayerNorm's output: the LayerNorm ignores the sum's scale, so the
// gradient below it is orthogonal to the sum and grad·word would equal −grad·(type + position)). A "removed" word (IG
// baseline, occlusion, LIME, grad_x_input's x') has its tokens' word embeddings replaced by the
// [PAD] embedding (baseline "pad") or zeros ("zero"); positions, token types and the attention mask
// are unchanged, and special tokens (words[t] = -1) always keep their embeddings (so their
// grad_x_input and integrated-gradients attributions are 0).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "explain/targets.h"
#include "models/backward_weights.h"
#include "models/model.h"

namespace bt {

enum class ExplainMethod {
  kGradXInput,
  kIntegratedGradients,
  kOcclusion,
  kLime,
  kAttentionRollout,
  kGradientWeightedRollout
};
Result<ExplainMethod> ParseExplainMethod(const std::string& name);
const char* ExplainMethodName(ExplainMethod method);

// What a removed word's embeddings become. kDefault: zero for grad_x_input (the classic gradient ×
// input, taken as e' = LN(0) = β at the embedding output), the [PAD] embedding for every other method.
enum class Baseline { kDefault, kPad, kZero };
bool UsesZeroBaseline(ExplainMethod method, Baseline baseline);

// Limits: a request outside them is an error (not clamped).
constexpr int32_t kMaxSteps = 1024;
constexpr int32_t kMaxSamples = 10000;

struct ExplainRequest {
  ExplainMethod method = ExplainMethod::kIntegratedGradients;
  Target target;
  std::vector<int32_t> ids, type_ids;  // one sequence (type_ids may be empty)
  std::vector<int32_t> words;          // per token: word index 0..W-1, or -1 (special, not attributed)
  Baseline baseline = Baseline::kDefault;
  int32_t baseline_id = 0;             // the [PAD] id
  int32_t steps = 32;                  // integrated gradients: 1..kMaxSteps
  bool trapezoid = false;              // integrated gradients: trapezoid rule on steps+1 points
  int32_t samples = 300;               // lime: 1..kMaxSamples (the first is the unmasked input)
  uint64_t seed = 0;                   // lime
  double kernel_width = 0.25;          // lime: exp kernel on the cosine distance to the input
  double ridge_alpha = 1.0;            // lime
  int32_t max_batch_tokens = 1024;     // tokens per batched forward/backward
};

struct Prediction {
  Target target;             // resolved: index and position filled in
  double value = 0.0;        // the target scalar f(x) (logit, probability or log-probability)
  double logit = 0.0, probability = 0.0;
  int32_t argmax = 0;        // the model's own choice (class, label, token id, or QA position)
  double argmax_probability = 0.0;
  std::vector<int32_t> top;  // up to 5 best indices, with their probabilities
  std::vector<double> top_probabilities;
};

struct Explanation {
  std::vector<double> tokens;  // per token (specials: 0 for perturbation methods)
  std::vector<double> words;   // per word: the sum over its tokens
  Prediction prediction;
  double baseline_value = std::numeric_limits<double>::quiet_NaN();    // IG: f(x')
  double delta = std::numeric_limits<double>::quiet_NaN();             // IG: f(x) - f(x')
  double completeness_gap = std::numeric_limits<double>::quiet_NaN();  // IG: Σ attributions - delta
  int64_t forward_sequences = 0, backward_sequences = 0;               // cost, in sequences
};

Status ValidateExplainRequest(const ModelParts& parts, const ExplainRequest& request);

class ExplainSession;  // explain/session.h

// Owns the backward weights (built on the first gradient method, then reused) for one model; runs
// in the model's arena (each explanation gives back what it grew the arena by). The model must
// outlive the explainer, and the explainer its sessions.
class Explainer {
 public:
  explicit Explainer(Model& model);
  ~Explainer();
  // The whole explanation in one call: Begin + ExplainSession::Finish.
  Result<Explanation> Explain(const ExplainRequest& request, ThreadPool& pool);
  // Validates the request, builds the backward weights (gradient methods, first time) and runs the
  // prediction's forward; the method's batches then run in ExplainSession::Step / Finish.
  Result<std::unique_ptr<ExplainSession>> Begin(const ExplainRequest& request, ThreadPool& pool);
  Status PrepareBackward() { return weights_.Build(model_.parts().encoder); }
  const BackwardWeights& backward_weights() const { return weights_; }
  const ModelParts& parts() const { return model_.parts(); }

 private:
  Model& model_;
  BackwardWeights weights_;
};

}  // namespace bt
