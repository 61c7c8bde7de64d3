// The explanation methods of explain.h, each filling Explanation::tokens or ::words from a
// prepared context (resolved target, input and baseline embeddings).
#pragma once

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

// Per token: Σ_e grad·(x - x').
Status GradXInput(const MethodContext& c, Explanation& out);
// Per token: Σ_e (x - x')·avg grad; also baseline_value, delta, completeness_gap.
Status IntegratedGradients(const MethodContext& c, Explanation& out);
// Per word: f(x) - f(x with the word replaced).
Status Occlusion(const MethodContext& c, Explanation& out);
// Per word: the ridge coefficients.
Status Lime(const MethodContext& c, Explanation& out);
// Per token: the target row of the attention rollout.
Status AttentionRollout(const MethodContext& c, Explanation& out);
// Per token: the target row of the gradient-weighted rollout.
Status GradientWeightedRollout(const MethodContext& c, Explanation& out);

// Copies of x with the words where keep[w] == 0 replaced by the baseline: count sets [count, seq, E].
std::vector<float> MaskWords(const MethodContext& c, const std::vector<uint8_t>& keep_masks, int32_t count);

// Nodes and weights of a rule for ∫₀¹: Gauss-Legendre with n nodes, or the trapezoid rule on n+1 points.
void QuadratureRule(int32_t n, bool trapezoid, std::vector<double>& nodes, std::vector<double>& weights);

}  // namespace bt
