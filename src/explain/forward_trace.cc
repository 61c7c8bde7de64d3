#include "explain/forward_trace.h"

#include <cmath>
#include <cstring>

#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/norm.h"

namespace bt {
namespace {

// Position id of every token, as encoder.cc computes it (0..seq-1, or RoBERTa's running count of
// non-pad ids after padding_idx). Kept in step with PositionIds there.
int32_t PositionId(const EmbeddingWeights& emb, const int32_t* row_ids, int32_t s, int32_t& count) {
  if (!emb.roberta_positions) return s;
  if (row_ids[s] == emb.padding_idx) return emb.padding_idx;
  return emb.padding_idx + (++count);
}

// embedding_sum = (word + type) + position, in Hugging Face's order (as EmbedTokens).
void SumEmbeddings(const EncoderWeights& w, const TraceInput& in, float* out) {
  const EmbeddingWeights& emb = w.embeddings;
  const int32_t e = w.embedding_size;
  for (int32_t b = 0; b < in.batch; ++b) {
    int32_t count = 0;
    for (int32_t s = 0; s < in.seq; ++s) {
      const int64_t t = static_cast<int64_t>(b) * in.seq + s;
      const int32_t position = PositionId(emb, in.ids + static_cast<int64_t>(b) * in.seq, s, count);
      const float* word = in.word_embeddings + t * e;
      const float* pos = emb.position.data() + static_cast<int64_t>(position) * e;
      float* row = out + t * e;
      if (emb.token_type.empty()) {
        for (int32_t j = 0; j < e; ++j) row[j] = word[j] + pos[j];
      } else {
        const int32_t type = in.type_ids != nullptr ? in.type_ids[t] : 0;
        const float* tt = emb.token_type.data() + static_cast<int64_t>(type) * e;
        for (int32_t j = 0; j < e; ++j) row[j] = (word[j] + tt[j]) + pos[j];
      }
    }
  }
}

void Normalize(const LayerNormWeights& norm, const std::vector<float>& in, int32_t rows, int32_t n,
               std::vector<float>& out, ThreadPool& pool) {
  out.assign(in.begin(), in.end());
  LayerNorm(out.data(), rows, n, norm.gamma.data(), norm.beta.data(), norm.eps, pool);
}

void TraceLayer(const EncoderWeights& w, const EncoderLayerWeights& layer, const TraceInput& in,
                std::vector<float>& x, LayerTrace& t, ThreadPool& pool) {
  const int32_t h = w.hidden_size, heads = w.num_heads;
  const int32_t m = in.batch * in.seq;
  const AttentionShape shape{in.batch, in.seq, heads, h / heads, 3 * h, 3 * h, 3 * h};
  const float scale = 1.0f / std::sqrt(static_cast<float>(h / heads));
  t.qkv.resize(static_cast<size_t>(m) * 3 * h);
  t.probs.resize(static_cast<size_t>(in.batch) * heads * in.seq * in.seq);
  std::vector<float> ctx(static_cast<size_t>(m) * h), scratch(AttentionScratchFloats(shape, pool));
  LinearForward(*layer.qkv, x.data(), m, Activation::kNone, nullptr, t.qkv.data(), pool);
  MultiHeadAttention(shape, t.qkv.data(), t.qkv.data() + h, t.qkv.data() + 2 * h, in.mask, scale, ctx.data(),
                     t.probs.data(), scratch.data(), pool);
  t.attn_sum.resize(static_cast<size_t>(m) * h);
  LinearForward(*layer.attention_output, ctx.data(), m, Activation::kNone, x.data(), t.attn_sum.data(), pool);
  std::vector<float> attn;
  Normalize(layer.attention_norm, t.attn_sum, m, h, attn, pool);
  t.ffn_pre.resize(static_cast<size_t>(m) * w.intermediate_size);
  LinearForward(*layer.ffn_in, attn.data(), m, Activation::kNone, nullptr, t.ffn_pre.data(), pool);
  std::vector<float> act(t.ffn_pre);  // element-wise, so identical to the activation fused in the GEMM
  ApplyActivation(w.activation, act.data(), static_cast<int64_t>(act.size()));
  t.ffn_sum.resize(static_cast<size_t>(m) * h);
  LinearForward(*layer.ffn_out, act.data(), m, Activation::kNone, attn.data(), t.ffn_sum.data(), pool);
  Normalize(layer.ffn_norm, t.ffn_sum, m, h, x, pool);
}

}  // namespace

void GatherWordEmbeddings(const EncoderWeights& w, const int32_t* ids, int64_t tokens, float* out) {
  for (int64_t t = 0; t < tokens; ++t) w.embeddings.word.Gather(ids[t], out + t * w.embedding_size);
}

void EmbeddingOutput(const EncoderWeights& w, const TraceInput& in, std::vector<float>& out, ThreadPool& pool) {
  const int32_t m = in.batch * in.seq;
  std::vector<float> sum(static_cast<size_t>(m) * w.embedding_size);
  SumEmbeddings(w, in, sum.data());
  Normalize(w.embeddings.norm, sum, m, w.embedding_size, out, pool);
}

void TraceEncoder(const EncoderWeights& w, const TraceInput& in, EncoderTrace& t, ThreadPool& pool) {
  const int32_t m = in.batch * in.seq;
  t.batch = in.batch;
  t.seq = in.seq;
  t.mask.assign(in.mask, in.mask + m);
  t.embedding_sum.resize(static_cast<size_t>(m) * w.embedding_size);
  SumEmbeddings(w, in, t.embedding_sum.data());
  std::vector<float> x;
  Normalize(w.embeddings.norm, t.embedding_sum, m, w.embedding_size, x, pool);
  if (w.embeddings.projection) {
    std::vector<float> projected(static_cast<size_t>(m) * w.hidden_size);
    LinearForward(*w.embeddings.projection, x.data(), m, Activation::kNone, nullptr, projected.data(), pool);
    x.swap(projected);
  }
  t.layers.resize(static_cast<size_t>(w.num_layers()));
  for (int32_t l = 0; l < w.num_layers(); ++l) TraceLayer(w, w.layers[w.layer_order[l]], in, x, t.layers[l], pool);
  t.hidden.swap(x);
}

void TraceHead(const HeadProgram& head, const float* hidden, int32_t hidden_size, const std::vector<int32_t>& rows,
               HeadTrace& t, ThreadPool& pool) {
  const int32_t r = static_cast<int32_t>(rows.size());
  t.rows = r;
  std::vector<float> x(static_cast<size_t>(r) * hidden_size);
  for (int32_t i = 0; i < r; ++i) {
    std::memcpy(x.data() + static_cast<size_t>(i) * hidden_size, hidden + static_cast<size_t>(rows[i]) * hidden_size,
                sizeof(float) * hidden_size);
  }
  int32_t width = hidden_size;
  t.steps.assign(head.steps.size(), HeadStepTrace{});
  for (size_t i = 0; i < head.steps.size(); ++i) {
    const HeadStep& step = head.steps[i];
    HeadStepTrace& st = t.steps[i];
    st.input = x;
    if (!step.linear) {
      LayerNorm(x.data(), r, width, step.norm.gamma.data(), step.norm.beta.data(), step.norm.eps, pool);
      continue;
    }
    width = step.linear->n();
    x.assign(static_cast<size_t>(r) * width, 0.0f);
    LinearForward(*step.linear, st.input.data(), r, Activation::kNone, nullptr, x.data(), pool);
    if (step.activation != Activation::kNone) {
      st.pre = x;
      ApplyActivation(step.activation, x.data(), static_cast<int64_t>(x.size()));
    }
  }
  t.output.swap(x);
}

}  // namespace bt
