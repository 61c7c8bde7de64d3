// Gradient × (input − baseline) and integrated gradients.
#include <cmath>

#include "explain/methods.h"

namespace bt {
namespace {

// Legendre polynomial P_n(x) and its derivative.
void Legendre(int32_t n, double x, double& p, double& dp) {
  double p0 = 1.0, p1 = x;
  if (n == 0) {
    p = 1.0;
    dp = 0.0;
    return;
  }
  for (int32_t k = 2; k <= n; ++k) {
    const double pk = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
    p0 = p1;
    p1 = pk;
  }
  p = p1;
  dp = n * (x * p1 - p0) / (x * x - 1.0);
}

}  // namespace

void QuadratureRule(int32_t n, bool trapezoid, std::vector<double>& nodes, std::vector<double>& weights) {
  nodes.clear();
  weights.clear();
  if (trapezoid) {
    for (int32_t k = 0; k <= n; ++k) {
      nodes.push_back(static_cast<double>(k) / n);
      weights.push_back((k == 0 || k == n ? 0.5 : 1.0) / n);
    }
    return;
  }
  const double pi = 3.14159265358979323846;
  for (int32_t i = 0; i < n; ++i) {
    double x = std::cos(pi * (i + 0.75) / (n + 0.5)), p = 0.0, dp = 1.0;
    for (int iter = 0; iter < 100; ++iter) {
      Legendre(n, x, p, dp);
      const double step = p / dp;
      x -= step;
      if (std::fabs(step) < 1e-15) break;
    }
    Legendre(n, x, p, dp);
    nodes.push_back(0.5 * (1.0 - x));  // [-1, 1] -> [0, 1], ascending
    weights.push_back(1.0 / ((1.0 - x * x) * dp * dp));
  }
}

Status GradXInput(const MethodContext& c, Explanation& out) {
  // Σ_j ∂f/∂e_j · (e_j − e'_j) over the embedding layer's output e = LN(word + type + position), the
  // encoder's input. Not at the word embeddings: the LayerNorm makes f blind to scaling the sum, so
  // the gradient there is orthogonal to (word + type + position) and grad·word = −grad·(type +
  // position) would credit a word with what its position contributes. The zero baseline (default)
  // is the zero embedding, e' = LN(0) = β, so only the token-dependent part γ⊙norm(x) is credited;
  // with baseline pad, e' = LN([PAD] + type + position), the first-order estimate of occlusion.
  // Special tokens keep e' = e (0). Chosen on dev sentences 50–149: see test_explain_methods.cc.
  const int32_t e = c.parts.encoder.embedding_size;
  std::vector<double> values;
  std::vector<float> grads, dembedded;
  GradientRequest g{c.x.data(), 1, c.request.max_batch_tokens};
  g.embedded_grads = &dembedded;
  BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, c.weights, c.input, c.target, g, values, &grads, c.pool));
  const std::vector<float> embedded = EmbeddingOutput(c.parts.encoder, c.input, c.x.data(), c.pool);
  const bool zero = UsesZeroBaseline(c.request.method, c.request.baseline);
  std::vector<float> reference;
  if (!zero) reference = EmbeddingOutput(c.parts.encoder, c.input, c.baseline.data(), c.pool);
  const std::vector<float>& beta = c.parts.encoder.embeddings.norm.beta;
  out.tokens.assign(static_cast<size_t>(c.input.seq), 0.0);
  for (int32_t t = 0; t < c.input.seq; ++t) {
    if (c.request.words[t] < 0) continue;
    const size_t row = static_cast<size_t>(t) * e;
    double sum = 0.0;
    for (int32_t j = 0; j < e; ++j) {
      const double base = zero ? beta[j] : reference[row + j];
      sum += (static_cast<double>(embedded[row + j]) - base) * dembedded[row + j];
    }
    out.tokens[t] = sum;
  }
  out.forward_sequences += 1;
  out.backward_sequences += 1;
  return Status::Ok();
}

Status IntegratedGradients(const MethodContext& c, Explanation& out) {
  const int32_t e = c.parts.encoder.embedding_size;
  const size_t item = static_cast<size_t>(c.input.seq) * e;
  std::vector<double> nodes, weights;
  QuadratureRule(c.request.steps, c.request.trapezoid, nodes, weights);
  const int32_t count = static_cast<int32_t>(nodes.size());
  // Points x' + α(x - x') for every node, then one batched forward/backward (chunked by tokens).
  std::vector<float> points(item * count);
  for (int32_t k = 0; k < count; ++k) {
    const float alpha = static_cast<float>(nodes[k]);
    for (size_t i = 0; i < item; ++i) points[k * item + i] = c.baseline[i] + alpha * (c.x[i] - c.baseline[i]);
  }
  std::vector<double> values;
  std::vector<float> grads;
  GradientRequest g{points.data(), count, c.request.max_batch_tokens};
  BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, c.weights, c.input, c.target, g, values, &grads, c.pool));
  std::vector<double> avg(item, 0.0);
  for (int32_t k = 0; k < count; ++k) {
    for (size_t i = 0; i < item; ++i) avg[i] += weights[k] * grads[k * item + i];
  }
  out.tokens.assign(static_cast<size_t>(c.input.seq), 0.0);
  for (size_t i = 0; i < item; ++i) out.tokens[i / e] += (static_cast<double>(c.x[i]) - c.baseline[i]) * avg[i];
  // f(x) and f(x') for the completeness check.
  std::vector<float> ends(c.baseline);
  ends.insert(ends.end(), c.x.begin(), c.x.end());
  std::vector<double> f;
  GradientRequest ge{ends.data(), 2, c.request.max_batch_tokens};
  BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, nullptr, c.input, c.target, ge, f, nullptr, c.pool));
  out.baseline_value = f[0];
  out.delta = f[1] - f[0];
  double total = 0.0;
  for (double v : out.tokens) total += v;
  out.completeness_gap = total - out.delta;
  out.forward_sequences += count + 2;
  out.backward_sequences += count;
  return Status::Ok();
}

}  // namespace bt
