#include "models/encoder.h"

#include <cmath>
#include <cstring>

#include "kernels/attention.h"
#include "kernels/norm.h"

namespace bt {
namespace {

// Position id of every token: 0..seq-1, or RoBERTa's cumulative count of non-pad ids.
void PositionIds(const EmbeddingWeights& emb, const EncoderInput& in, std::vector<int32_t>& positions) {
  positions.resize(static_cast<size_t>(in.batch) * in.seq);
  for (int32_t b = 0; b < in.batch; ++b) {
    int32_t count = 0;
    for (int32_t s = 0; s < in.seq; ++s) {
      const size_t i = static_cast<size_t>(b) * in.seq + s;
      if (!emb.roberta_positions) {
        positions[i] = s;
      } else if (in.ids[i] != emb.padding_idx) {
        positions[i] = emb.padding_idx + (++count);
      } else {
        positions[i] = emb.padding_idx;
      }
    }
  }
}

// Writes the embedding sums for every token into `out` ([tokens, E]) and normalises them.
void EmbedTokens(const EncoderWeights& w, const EncoderInput& in, float* out, ThreadPool& pool) {
  const EmbeddingWeights& emb = w.embeddings;
  const int32_t e = w.embedding_size;
  std::vector<int32_t> positions;
  PositionIds(emb, in, positions);
  const int64_t tokens = static_cast<int64_t>(in.batch) * in.seq;
  for (int64_t t = 0; t < tokens; ++t) {
    float* row = out + t * e;
    emb.word.Gather(in.ids[t], row);  // the word vector, then the sums in place
    const float* pos = emb.position.data() + static_cast<int64_t>(positions[t]) * e;
    if (emb.token_type.empty()) {
      for (int32_t j = 0; j < e; ++j) row[j] += pos[j];
    } else {
      const int32_t type = in.type_ids != nullptr ? in.type_ids[t] : 0;
      const float* tt = emb.token_type.data() + static_cast<int64_t>(type) * e;
      // Hugging Face adds word + token type first, then position: keep its rounding order.
      for (int32_t j = 0; j < e; ++j) row[j] = (row[j] + tt[j]) + pos[j];
    }
  }
  LayerNorm(out, static_cast<int32_t>(tokens), e, emb.norm.gamma.data(), emb.norm.beta.data(), emb.norm.eps, pool);
}

}  // namespace

int32_t EncoderWeights::max_sequence() const {
  return embeddings.roberta_positions ? max_positions - embeddings.padding_idx - 1 : max_positions;
}

Status ValidateEncoderInput(const EncoderWeights& w, const EncoderInput& in) {
  if (in.batch <= 0 || in.seq <= 0) return Status::InvalidArgument("forward: batch and sequence length must be positive");
  if (in.seq > w.max_sequence()) {
    return Status::Limit("forward: sequence length " + std::to_string(in.seq) + " exceeds the model's maximum of " +
                         std::to_string(w.max_sequence()) + " positions");
  }
  const int64_t tokens = static_cast<int64_t>(in.batch) * in.seq;
  for (int64_t t = 0; t < tokens; ++t) {
    const std::string where = " at batch row " + std::to_string(t / in.seq) + ", position " + std::to_string(t % in.seq);
    if (in.ids[t] < 0 || in.ids[t] >= w.vocab_size) {
      return Status::InvalidArgument("forward: token id " + std::to_string(in.ids[t]) + where + " is outside the vocabulary (" +
                           std::to_string(w.vocab_size) + ")");
    }
    if (in.mask[t] != 0 && in.mask[t] != 1) return Status::InvalidArgument("forward: attention mask must be 0 or 1" + where);
    const int32_t type = in.type_ids != nullptr ? in.type_ids[t] : 0;
    const int32_t type_vocab = w.embeddings.token_type.empty() ? 1 : w.type_vocab_size;
    if (type < 0 || type >= type_vocab) {
      return Status::InvalidArgument("forward: token type id " + std::to_string(type) + where + " is outside [0, " +
                           std::to_string(type_vocab) + ")");
    }
  }
  return Status::Ok();
}

float* EncoderWorkspace::Reserve(int64_t floats) {
  if (static_cast<int64_t>(buffer_.size()) < floats) buffer_.resize(static_cast<size_t>(floats));
  return buffer_.data();
}

namespace {

AttentionShape ShapeOf(const EncoderWeights& w, int32_t batch, int32_t seq) {
  const int32_t h = w.hidden_size;
  return AttentionShape{batch, seq, w.num_heads, h / w.num_heads, 3 * h, 3 * h, 3 * h};
}

// The last layer on `rows` only: k|v for every token (keys and values are needed), q for the kept
// rows, attention from them, then the output projection, LayerNorms and FFN on those rows. x [m, H] is
// the layer's input; the kept rows' output goes to x[0 .. r). The kept input rows are gathered once
// into attn (the q projection's input and the attention block's residual). Uses the qkv/ctx/attn/ffn
// scratch regions.
void LastLayerRows(const EncoderWeights& w, const EncoderLayerWeights& layer, const EncoderInput& in,
                   const std::vector<int32_t>& rows, float scale, float* x, float* qkv, float* ctx, float* attn,
                   float* ffn, float* attention_scratch, ThreadPool& pool) {
  const int32_t h = w.hidden_size, m = in.batch * in.seq, r = static_cast<int32_t>(rows.size());
  if (r == 0) return;
  for (int32_t i = 0; i < r; ++i) {
    std::memcpy(attn + static_cast<size_t>(i) * h, x + static_cast<size_t>(rows[i]) * h, sizeof(float) * h);
  }
  // k|v from every row; q from the kept rows only, compactly into the q columns of q|k|v rows
  // 0..r-1 (stride 3h), where attention reads a query subset.
  const LinearColumns kv{h, 3 * h, 3 * h}, q{0, h, 3 * h};
  LinearForward(*layer.qkv, x, m, Activation::kNone, nullptr, qkv + h, pool, &kv);
  LinearForward(*layer.qkv, attn, r, Activation::kNone, nullptr, qkv, pool, &q);
  const AttentionQueries queries{rows.data(), r};
  MultiHeadAttention(ShapeOf(w, in.batch, in.seq), qkv, qkv + h, qkv + 2 * h, in.mask, scale, ctx, nullptr,
                     attention_scratch, pool, &queries);
  LinearForward(*layer.attention_output, ctx, r, Activation::kNone, attn, attn, pool);
  LayerNorm(attn, r, h, layer.attention_norm.gamma.data(), layer.attention_norm.beta.data(), layer.attention_norm.eps,
            pool);
  LinearForward(*layer.ffn_in, attn, r, w.activation, nullptr, ffn, pool);
  LinearForward(*layer.ffn_out, ffn, r, Activation::kNone, attn, x, pool);
  LayerNorm(x, r, h, layer.ffn_norm.gamma.data(), layer.ffn_norm.beta.data(), layer.ffn_norm.eps, pool);
}

}  // namespace

int64_t EncoderScratchFloats(const EncoderWeights& w, int32_t batch, int32_t seq, const ThreadPool& pool) {
  // One block: qkv [m,3h] | ctx [m,h] | attn [m,h] | ffn [m,I] | emb [m,E] | attention scratch.
  const int64_t m = static_cast<int64_t>(batch) * seq;
  return m * (5 * static_cast<int64_t>(w.hidden_size) + w.intermediate_size + w.embedding_size) +
         AttentionScratchFloats(ShapeOf(w, batch, seq), pool);
}

void RunEncoder(const EncoderWeights& w, const EncoderInput& in, const EncoderOutput& out,
                EncoderWorkspace& workspace, ThreadPool& pool) {
  const int32_t h = w.hidden_size;
  const int32_t m = in.batch * in.seq;
  const int32_t heads = w.num_heads;
  const AttentionShape shape = ShapeOf(w, in.batch, in.seq);

  const int64_t mh = static_cast<int64_t>(m) * h;
  float* qkv = workspace.Reserve(EncoderScratchFloats(w, in.batch, in.seq, pool));
  float* ctx = qkv + 3 * mh;
  float* attn = ctx + mh;
  float* ffn = attn + mh;
  float* emb = ffn + static_cast<int64_t>(m) * w.intermediate_size;
  float* attention_scratch = emb + static_cast<int64_t>(m) * w.embedding_size;
  float* x = out.hidden;

  if (w.embeddings.projection) {
    EmbedTokens(w, in, emb, pool);
    LinearForward(*w.embeddings.projection, emb, m, Activation::kNone, nullptr, x, pool);
  } else {
    EmbedTokens(w, in, x, pool);
  }
  if (out.all_hidden != nullptr) std::memcpy(out.all_hidden, x, sizeof(float) * mh);

  const float scale = 1.0f / std::sqrt(static_cast<float>(h / heads));
  const int64_t probs_per_layer = static_cast<int64_t>(in.batch) * heads * in.seq * in.seq;
  const bool pruned = out.rows != nullptr && out.all_hidden == nullptr && out.attentions == nullptr;
  for (int32_t l = 0; l < w.num_layers(); ++l) {
    const EncoderLayerWeights& layer = w.layers[w.layer_order[l]];
    if (pruned && l == w.num_layers() - 1) {
      LastLayerRows(w, layer, in, *out.rows, scale, x, qkv, ctx, attn, ffn, attention_scratch, pool);
      break;
    }
    LinearForward(*layer.qkv, x, m, Activation::kNone, nullptr, qkv, pool);
    float* probs = out.attentions != nullptr ? out.attentions + l * probs_per_layer : nullptr;
    MultiHeadAttention(shape, qkv, qkv + h, qkv + 2 * h, in.mask, scale, ctx, probs, attention_scratch, pool);
    LinearForward(*layer.attention_output, ctx, m, Activation::kNone, x, attn, pool);
    LayerNorm(attn, m, h, layer.attention_norm.gamma.data(), layer.attention_norm.beta.data(),
              layer.attention_norm.eps, pool);
    LinearForward(*layer.ffn_in, attn, m, w.activation, nullptr, ffn, pool);
    LinearForward(*layer.ffn_out, ffn, m, Activation::kNone, attn, x, pool);
    LayerNorm(x, m, h, layer.ffn_norm.gamma.data(), layer.ffn_norm.beta.data(), layer.ffn_norm.eps, pool);
    if (out.all_hidden != nullptr) std::memcpy(out.all_hidden + (l + 1) * mh, x, sizeof(float) * mh);
  }
}

}  // namespace bt
