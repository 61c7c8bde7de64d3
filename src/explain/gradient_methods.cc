// Gradient × (input − baseline) and integrated gradients.
#include <algorithm>
#include <cmath>
#include <memory>

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

namespace {

// Batches 0..point_batches-1: `chunk` interpolation points x' + α(x - x') each (forward + backward),
// their gradients added to the quadrature sum in node order; the last batch: f(x') and f(x).
class IntegratedGradientsRun : public MethodPasses {
 public:
  explicit IntegratedGradientsRun(const MethodContext& c) {
    QuadratureRule(c.request.steps, c.request.trapezoid, nodes_, weights_);
    count_ = static_cast<int32_t>(nodes_.size());
    chunk_ = ItemsPerBatch(c, count_);
    point_batches_ = (count_ + chunk_ - 1) / chunk_;
    avg_.assign(static_cast<size_t>(c.input.seq) * c.parts.encoder.embedding_size, 0.0);
  }
  const char* unit() const override { return "steps"; }
  int64_t items() const override { return count_; }
  int64_t batches() const override { return point_batches_ + 1; }
  int64_t ItemsAfter(int64_t b) const override { return std::min<int64_t>(count_, b * chunk_); }

  Status RunBatch(const MethodContext& c, int64_t b, Explanation& out) override {
    const size_t item = avg_.size();
    if (b == point_batches_) return Ends(c, out);
    const int32_t start = static_cast<int32_t>(b) * chunk_, n = std::min(chunk_, count_ - start);
    std::vector<float> points(item * n);
    for (int32_t k = 0; k < n; ++k) {
      const float alpha = static_cast<float>(nodes_[start + k]);
      for (size_t i = 0; i < item; ++i) points[k * item + i] = c.baseline[i] + alpha * (c.x[i] - c.baseline[i]);
    }
    std::vector<double> values;
    std::vector<float> grads;
    GradientRequest g{points.data(), n, c.request.max_batch_tokens};
    BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, c.weights, c.input, c.target, g, values, &grads, c.pool));
    for (int32_t k = 0; k < n; ++k) {
      const double w = weights_[start + k];
      for (size_t i = 0; i < item; ++i) avg_[i] += w * grads[k * item + i];
    }
    return Status::Ok();
  }

  Status End(const MethodContext& c, Explanation& out) override {
    const int32_t e = c.parts.encoder.embedding_size;
    out.tokens.assign(static_cast<size_t>(c.input.seq), 0.0);
    for (size_t i = 0; i < avg_.size(); ++i) out.tokens[i / e] += (static_cast<double>(c.x[i]) - c.baseline[i]) * avg_[i];
    double total = 0.0;
    for (double v : out.tokens) total += v;
    out.completeness_gap = total - out.delta;
    out.forward_sequences += count_ + 2;
    out.backward_sequences += count_;
    return Status::Ok();
  }

 private:
  // f(x) and f(x') for the completeness check.
  Status Ends(const MethodContext& c, Explanation& out) {
    std::vector<float> ends(c.baseline);
    ends.insert(ends.end(), c.x.begin(), c.x.end());
    std::vector<double> f;
    GradientRequest ge{ends.data(), 2, c.request.max_batch_tokens};
    BT_RETURN_IF_ERROR(TargetGradients(c.parts, c.arena, nullptr, c.input, c.target, ge, f, nullptr, c.pool));
    out.baseline_value = f[0];
    out.delta = f[1] - f[0];
    return Status::Ok();
  }

  std::vector<double> nodes_, weights_;
  int32_t count_ = 0, chunk_ = 1, point_batches_ = 0;
  std::vector<double> avg_;  // [seq, E] Σ_k w_k grad_k, summed in node order
};

}  // namespace

std::unique_ptr<MethodPasses> IntegratedGradientsPasses(const MethodContext& c) {
  return std::make_unique<IntegratedGradientsRun>(c);
}

}  // namespace bt
