// Attention rollout (Abnar & Zuidema 2020) from the traced forward's attention probabilities, and
// its gradient-weighted form (Chefer, Gur & Wolf 2021, "Generic attention-model explainability"),
// which weighs each head's attention by the target's gradient w.r.t. it.
#include <algorithm>

#include "explain/methods.h"

namespace bt {
namespace {

// out = a · b for [n, n] matrices.
void MatMul(const std::vector<double>& a, const std::vector<double>& b, int32_t n, std::vector<double>& out) {
  for (int32_t i = 0; i < n; ++i) {
    for (int32_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int32_t k = 0; k < n; ++k) s += a[static_cast<size_t>(i) * n + k] * b[static_cast<size_t>(k) * n + j];
      out[static_cast<size_t>(i) * n + j] = s;
    }
  }
}

// The [n, n] identity.
std::vector<double> Identity(int32_t n) {
  std::vector<double> m(static_cast<size_t>(n) * n, 0.0);
  for (int32_t i = 0; i < n; ++i) m[static_cast<size_t>(i) * n + i] = 1.0;
  return m;
}

// The rollout's row of the target token ([CLS] for sequence classification).
void TargetRow(const MethodContext& c, const std::vector<double>& rollout, Explanation& out) {
  const int32_t seq = c.input.seq, row = c.target.position < 0 ? 0 : c.target.position;
  out.tokens.assign(rollout.begin() + static_cast<size_t>(row) * seq, rollout.begin() + static_cast<size_t>(row + 1) * seq);
}

}  // namespace

Status AttentionRollout(const MethodContext& c, Explanation& out) {
  const int32_t seq = c.input.seq, heads = c.parts.encoder.num_heads;
  std::vector<double> values;
  std::vector<std::vector<float>> probs;
  GradientRequest g{c.x.data(), 1, c.request.max_batch_tokens, &probs};
  BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, nullptr, c.input, c.target, g, values, nullptr, c.pool));
  out.forward_sequences += 1;
  const size_t ss = static_cast<size_t>(seq) * seq;
  std::vector<double> rollout = Identity(seq), layer(ss), next(ss);
  for (const std::vector<float>& p : probs) {
    // A = rownorm(mean_heads(P) + I) = 0.5·mean_heads(P) + 0.5·I; rollout = A · rollout.
    for (size_t i = 0; i < ss; ++i) {
      double sum = 0.0;
      for (int32_t h = 0; h < heads; ++h) sum += p[h * ss + i];
      layer[i] = sum / heads;
    }
    for (int32_t i = 0; i < seq; ++i) {
      double* row = layer.data() + static_cast<size_t>(i) * seq;
      row[i] += 1.0;
      double total = 0.0;
      for (int32_t j = 0; j < seq; ++j) total += row[j];
      for (int32_t j = 0; j < seq; ++j) row[j] /= total;
    }
    MatMul(layer, rollout, seq, next);
    rollout.swap(next);
  }
  TargetRow(c, rollout, out);
  return Status::Ok();
}

Status GradientWeightedRollout(const MethodContext& c, Explanation& out) {
  const int32_t seq = c.input.seq, heads = c.parts.encoder.num_heads;
  std::vector<double> values;
  std::vector<float> grads;
  std::vector<std::vector<float>> probs, dprobs;
  GradientRequest g{c.x.data(), 1, c.request.max_batch_tokens, &probs, &dprobs};
  BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, c.weights, c.input, c.target, g, values, &grads, c.pool));
  out.forward_sequences += 1;
  out.backward_sequences += 1;
  const size_t ss = static_cast<size_t>(seq) * seq;
  std::vector<double> rollout = Identity(seq), layer(ss), next(ss);
  for (size_t l = 0; l < probs.size(); ++l) {
    // Ā = mean_heads((∇P ⊙ P)⁺); rollout = rollout + Ā · rollout (no renormalisation).
    for (size_t i = 0; i < ss; ++i) {
      double sum = 0.0;
      for (int32_t h = 0; h < heads; ++h) sum += std::max(0.0, static_cast<double>(dprobs[l][h * ss + i]) * probs[l][h * ss + i]);
      layer[i] = sum / heads;
    }
    MatMul(layer, rollout, seq, next);
    for (size_t i = 0; i < ss; ++i) rollout[i] += next[i];
  }
  TargetRow(c, rollout, out);
  return Status::Ok();
}

}  // namespace bt
