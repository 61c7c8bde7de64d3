// The explanation methods of explain.h, each filling Explanation::tokens or ::words from a
// prepared context (resolved target, input and baseline embeddings).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "explain/explain.h"
#include "explain/gradient_engine.h"

namespace bt {

struct MethodContext {
  const ModelParts& parts;
  Arena& arena;                    // the model's: every forward and backward runs in it
  const BackwardWeights* weights;  // built for the gradient methods
  const SequenceInput& input;
  const Target& target;  // resolved
  const ExplainRequest& request;
  const std::vector<float>& x;         // [seq, E] word embeddings of the input
  const std::vector<float>& baseline;  // [seq, E] the same with every word replaced
  int32_t num_words;
  ThreadPool& pool;
};

// A method's forward/backward passes as a list of batches, run a few at a time (ExplainSession,
// explain/session.h) or all at once (Explainer::Explain: the same loop). Each batch is one batched
// forward (and backward) of at most max_batch_tokens tokens — the same batches, in the same order and
// composition, however many run per call — so the result is bitwise the same for any split.
// Accumulations across batches run in item order (as one pass over all items would).
class MethodPasses {
 public:
  virtual ~MethodPasses() = default;
  // Progress: `items()` units of `unit()` ("steps", "samples", "sequences"); ItemsAfter(b) are done
  // once the first b batches ran.
  virtual const char* unit() const = 0;
  virtual int64_t items() const = 0;
  virtual int64_t batches() const = 0;
  virtual int64_t ItemsAfter(int64_t batches) const = 0;
  // Batch b (0 <= b < batches(), in order).
  virtual Status RunBatch(const MethodContext& c, int64_t b, Explanation& out) = 0;
  // After the last batch: fills tokens or words (and IG's completeness figures).
  virtual Status End(const MethodContext& c, Explanation& out) = 0;
};

// The passes of c.request.method: integrated gradients (one batch per `chunk` interpolation points,
// then f(x') and f(x)), occlusion and LIME (one batch per `chunk` masked copies), and the one-pass
// methods (grad_x_input, the rollouts: one batch).
std::unique_ptr<MethodPasses> MakeMethodPasses(const MethodContext& c);

// Items per batch: max_batch_tokens / seq (at least 1, at most `count`).
int32_t ItemsPerBatch(const MethodContext& c, int32_t count);

// Per token: Σ_e grad·(x - x').
Status GradXInput(const MethodContext& c, Explanation& out);
// Per token: the target row of the attention rollout.
Status AttentionRollout(const MethodContext& c, Explanation& out);
// Per token: the target row of the gradient-weighted rollout.
Status GradientWeightedRollout(const MethodContext& c, Explanation& out);
// Integrated gradients: per token Σ_e (x - x')·avg grad; also baseline_value, delta, completeness_gap.
std::unique_ptr<MethodPasses> IntegratedGradientsPasses(const MethodContext& c);
// Occlusion, per word: f(x) - f(x with the word replaced).
std::unique_ptr<MethodPasses> OcclusionPasses(const MethodContext& c);
// LIME, per word: the ridge coefficients.
std::unique_ptr<MethodPasses> LimePasses(const MethodContext& c);

// Copies of x with the words where keep[w] == 0 replaced by the baseline: count sets [count, seq, E]
// (keep_masks: [count, num_words] of 0/1).
std::vector<float> MaskWords(const MethodContext& c, const uint8_t* keep_masks, int32_t count);

// Nodes and weights of a rule for ∫₀¹: Gauss-Legendre with n nodes, or the trapezoid rule on n+1 points.
void QuadratureRule(int32_t n, bool trapezoid, std::vector<double>& nodes, std::vector<double>& weights);

}  // namespace bt
