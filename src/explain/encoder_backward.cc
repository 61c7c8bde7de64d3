#include "explain/encoder_backward.h"

#include <cmath>

#include "explain/backward.h"

namespace bt {
namespace {

// dx [m, H] holds the gradient of the layer's output on entry and of its input on return.
void LayerBackward(const EncoderWeights& w, const EncoderLayerWeights& layer, const BackwardWeights& bw,
                   const EncoderTrace& trace, const LayerTrace& t, std::vector<float>& dx, ThreadPool& pool,
                   float* dprobs) {
  const int32_t h = w.hidden_size, heads = w.num_heads, inter = w.intermediate_size;
  const int32_t m = trace.batch * trace.seq;
  // out = LN2(ffn_sum); ffn_sum = h1 + W2·act(ffn_pre) + b2; ffn_pre = W1·h1 + b1
  std::vector<float> dsum(static_cast<size_t>(m) * h);
  LayerNormBackward(t.ffn_sum.data(), layer.ffn_norm.gamma.data(), layer.ffn_norm.eps, dx.data(), m, h, dsum.data(), pool);
  std::vector<float> dffn(static_cast<size_t>(m) * inter);
  LinearBackward(*bw.Transposed(*layer.ffn_out), dsum.data(), m, false, dffn.data(), pool);
  ActivationBackward(w.activation, t.ffn_pre.data(), dffn.data(), static_cast<int64_t>(dffn.size()));
  LinearBackward(*bw.Transposed(*layer.ffn_in), dffn.data(), m, true, dsum.data(), pool);  // + residual
  // h1 = LN1(attn_sum); attn_sum = x + Wo·ctx + bo; ctx = attention(Wqkv·x)
  LayerNormBackward(t.attn_sum.data(), layer.attention_norm.gamma.data(), layer.attention_norm.eps, dsum.data(), m, h,
                    dx.data(), pool);
  std::vector<float> dctx(static_cast<size_t>(m) * h), dqkv(static_cast<size_t>(m) * 3 * h);
  LinearBackward(*bw.Transposed(*layer.attention_output), dx.data(), m, false, dctx.data(), pool);
  const AttentionShape shape{trace.batch, trace.seq, heads, h / heads, 3 * h, 3 * h, 3 * h};
  const float scale = 1.0f / std::sqrt(static_cast<float>(h / heads));
  AttentionBackward(shape, t.qkv.data(), t.probs.data(), trace.mask.data(), scale, dctx.data(), dqkv.data(), pool,
                    dprobs);
  LinearBackward(*bw.Transposed(*layer.qkv), dqkv.data(), m, true, dx.data(), pool);  // + residual
}

}  // namespace

Status EncoderBackward(const EncoderWeights& w, const BackwardWeights& bw, const EncoderTrace& trace,
                       std::vector<float>& dhidden, std::vector<float>& dword, ThreadPool& pool,
                       std::vector<std::vector<float>>* dprobs, std::vector<float>* dembedded) {
  if (!bw.built()) return Status::Internal("explain: backward weights were not prepared");
  const int32_t m = trace.batch * trace.seq, e = w.embedding_size;
  if (dprobs != nullptr) dprobs->resize(trace.layers.size());
  for (int32_t l = w.num_layers() - 1; l >= 0; --l) {
    float* dp = nullptr;
    if (dprobs != nullptr) {
      (*dprobs)[l].resize(trace.layers[l].probs.size());
      dp = (*dprobs)[l].data();
    }
    LayerBackward(w, w.layers[w.layer_order[l]], bw, trace, trace.layers[l], dhidden, pool, dp);
  }
  std::vector<float> dnorm;
  if (w.embeddings.projection) {
    dnorm.resize(static_cast<size_t>(m) * e);
    LinearBackward(*bw.Transposed(*w.embeddings.projection), dhidden.data(), m, false, dnorm.data(), pool);
  } else {
    dnorm.swap(dhidden);
  }
  const LayerNormWeights& norm = w.embeddings.norm;
  if (dembedded != nullptr) dembedded->assign(dnorm.begin(), dnorm.end());
  LayerNormBackward(trace.embedding_sum.data(), norm.gamma.data(), norm.eps, dnorm.data(), m, e, dnorm.data(), pool);
  dword.resize(static_cast<size_t>(m) * e);
  EmbeddingSumBackward(dnorm.data(), static_cast<int64_t>(dnorm.size()), dword.data());
  return Status::Ok();
}

}  // namespace bt
