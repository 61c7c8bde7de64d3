// Attention rollout (Abnar & Zuidema 2020) from the traced forward's attention probabilities.
#include "explain/forward_trace.h"
#include "explain/methods.h"

namespace bt {

Status AttentionRollout(const MethodContext& c, Explanation& out) {
  const int32_t seq = c.input.seq, heads = c.parts.encoder.num_heads;
  TraceInput ti;
  ti.batch = 1;
  ti.seq = seq;
  ti.word_embeddings = c.x.data();
  ti.ids = c.input.ids.data();
  ti.type_ids = c.input.type_ids.empty() ? nullptr : c.input.type_ids.data();
  ti.mask = c.input.mask.data();
  EncoderTrace trace;
  TraceEncoder(c.parts.encoder, ti, trace, c.pool);
  out.forward_sequences += 1;
  const size_t ss = static_cast<size_t>(seq) * seq;
  std::vector<double> rollout(ss, 0.0), layer(ss), next(ss);
  for (int32_t i = 0; i < seq; ++i) rollout[static_cast<size_t>(i) * seq + i] = 1.0;
  for (const LayerTrace& t : trace.layers) {
    // A = rownorm(mean_heads(P) + I); rollout = A · rollout.
    for (size_t i = 0; i < ss; ++i) {
      double sum = 0.0;
      for (int32_t h = 0; h < heads; ++h) sum += t.probs[h * ss + i];
      layer[i] = sum / heads;
    }
    for (int32_t i = 0; i < seq; ++i) {
      double* row = layer.data() + static_cast<size_t>(i) * seq;
      row[i] += 1.0;
      double total = 0.0;
      for (int32_t j = 0; j < seq; ++j) total += row[j];
      for (int32_t j = 0; j < seq; ++j) row[j] /= total;
    }
    for (int32_t i = 0; i < seq; ++i) {
      for (int32_t j = 0; j < seq; ++j) {
        double s = 0.0;
        for (int32_t k = 0; k < seq; ++k) s += layer[static_cast<size_t>(i) * seq + k] * rollout[static_cast<size_t>(k) * seq + j];
        next[static_cast<size_t>(i) * seq + j] = s;
      }
    }
    rollout.swap(next);
  }
  const int32_t row = c.target.position < 0 ? 0 : c.target.position;
  out.tokens.assign(rollout.begin() + static_cast<size_t>(row) * seq, rollout.begin() + static_cast<size_t>(row + 1) * seq);
  return Status::Ok();
}

}  // namespace bt
