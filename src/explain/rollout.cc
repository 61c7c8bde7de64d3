// Attention rollout (Abnar & Zuidema 2020) from the traced forward's attention probabilities, and
// its gradient-weighted form (Chefer, Gur & Wolf 2021, "Generic attention-model explainability"),
// which weighs each head's attention by the target's gradient w.r.t. it.
#include <algorithm>

#include "explain/methods.h"

namespace bt {
namespace {

// Only the target token's row of the rollout is reported, so the product of the per-layer matrices
// is taken from the left: row r of A_L ⋯ A_1 is ((e_r·A_L)·A_{L-1})⋯A_1, a vector times a matrix per
// layer — O(layers · seq²) instead of the full matrix product's O(layers · seq³) (512 tokens: ~0.3 M
// instead of ~134 M multiply-adds a layer), so the method is one forward plus work no larger than
// reading the attention probabilities, with nothing left to split into steps.
int32_t TargetRowIndex(const MethodContext& c) { return c.target.position < 0 ? 0 : c.target.position; }

// out = v · m for a [n] row vector and an [n, n] matrix, summed over the rows of m in order.
void RowTimes(const std::vector<double>& v, const std::vector<double>& m, int32_t n, std::vector<double>& out) {
  std::fill(out.begin(), out.end(), 0.0);
  for (int32_t i = 0; i < n; ++i) {
    const double vi = v[i];  // no skip of zeros: a NaN anywhere in m stays NaN (NaN in, NaN out)
    const double* row = m.data() + static_cast<size_t>(i) * n;
    for (int32_t j = 0; j < n; ++j) out[j] += vi * row[j];
  }
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
  std::vector<double> row(static_cast<size_t>(seq), 0.0), next(static_cast<size_t>(seq)), layer(ss);
  row[TargetRowIndex(c)] = 1.0;
  for (size_t l = probs.size(); l-- > 0;) {
    // A = rownorm(mean_heads(P) + I) = 0.5·mean_heads(P) + 0.5·I; rollout = A_L ⋯ A_1.
    const std::vector<float>& p = probs[l];
    for (size_t i = 0; i < ss; ++i) {
      double sum = 0.0;
      for (int32_t h = 0; h < heads; ++h) sum += p[h * ss + i];
      layer[i] = sum / heads;
    }
    for (int32_t i = 0; i < seq; ++i) {
      double* r = layer.data() + static_cast<size_t>(i) * seq;
      r[i] += 1.0;
      double total = 0.0;
      for (int32_t j = 0; j < seq; ++j) total += r[j];
      for (int32_t j = 0; j < seq; ++j) r[j] /= total;
    }
    RowTimes(row, layer, seq, next);
    row.swap(next);
  }
  out.tokens = std::move(row);
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
  std::vector<double> row(static_cast<size_t>(seq), 0.0), next(static_cast<size_t>(seq)), layer(ss);
  row[TargetRowIndex(c)] = 1.0;
  for (size_t l = probs.size(); l-- > 0;) {
    // Ā = mean_heads((∇P ⊙ P)⁺); rollout = (I + Ā_L) ⋯ (I + Ā_1) (no renormalisation).
    for (size_t i = 0; i < ss; ++i) {
      double sum = 0.0;
      for (int32_t h = 0; h < heads; ++h) sum += std::max(0.0, static_cast<double>(dprobs[l][h * ss + i]) * probs[l][h * ss + i]);
      layer[i] = sum / heads;
    }
    RowTimes(row, layer, seq, next);
    for (int32_t j = 0; j < seq; ++j) row[j] += next[j];
  }
  out.tokens = std::move(row);
  return Status::Ok();
}

}  // namespace bt
