#include "models/encoder_layer.h"

#include <cstring>

namespace bt {

void EncoderLayerForward(const EncoderLayerWeights& w, const EncoderLayerIO& io, const EncoderLayerBuffers& buffers,
                         LayerTape* tape, ThreadPool& pool) {
  const int32_t h = w.attention.output->n(), m = io.batch * io.seq;
  const bool subset = io.query_rows != nullptr;
  const int32_t rows = subset ? io.query_count : m;
  if (rows == 0) return;
  const float* x = io.x;
  if (tape != nullptr && tape->input != nullptr) {  // parameter gradients read it after x is overwritten
    std::memcpy(tape->input, io.x, sizeof(float) * static_cast<size_t>(m) * h);
    x = tape->input;
  }
  const float* query_x = x;
  if (subset) {  // the subset's input rows, gathered once: the q projection's input and the residual
    for (int32_t i = 0; i < rows; ++i) {
      std::memcpy(buffers.query_input + static_cast<size_t>(i) * h, x + static_cast<size_t>(io.query_rows[i]) * h,
                  sizeof(float) * h);
    }
    query_x = buffers.query_input;
  }
  // Post-norm: s1 = x + Attention(x); h1 = LN1(s1); s2 = h1 + FFN(h1); out = LN2(s2). Without a tape
  // each norm runs in place on its sum; with one the sums stay on the tape.
  float* attention_sum = tape != nullptr ? tape->attention_sum : buffers.sum;
  SelfAttentionIO attention{io.batch, io.seq, io.mask, x, io.query_rows, io.query_count, query_x, attention_sum,
                            io.probs};
  SelfAttentionForward(w.attention, attention, buffers.attention, tape != nullptr ? &tape->attention : nullptr, pool);
  float* normed = tape != nullptr && tape->attention_out != nullptr ? tape->attention_out : buffers.sum;
  LayerNormForward(w.attention_norm, attention_sum, normed, rows, h, pool);
  float* ffn_sum = tape != nullptr ? tape->ffn_sum : io.x;
  FeedForwardForward(w.ffn, FeedForwardIO{normed, rows, normed, ffn_sum}, buffers.ffn,
                     tape != nullptr ? &tape->ffn : nullptr, pool);
  LayerNormForward(w.ffn_norm, ffn_sum, io.x, rows, h, pool);
}

void EncoderLayerBackward(const EncoderLayerWeights& w, const BackwardWeights& bw, int32_t batch, int32_t seq,
                          const int32_t* mask, const LayerTape& tape, float* dx, float* dprobs,
                          const EncoderLayerBackwardBuffers& buffers, const EncoderLayerGrads* grads, ThreadPool& pool) {
  const int32_t h = w.attention.output->n(), m = batch * seq;
  // out = LN2(s2), s2 = h1 + FFN(h1)
  LayerNormBackward(w.ffn_norm, tape.ffn_sum, dx, m, h, buffers.dsum, pool, grads != nullptr ? &grads->ffn_norm : nullptr);
  FeedForwardBackward(w.ffn, bw, m, tape.ffn, buffers.dsum, buffers.ffn, grads != nullptr ? &grads->ffn : nullptr, pool);
  // h1 = LN1(s1), s1 = x + Attention(x)
  LayerNormBackward(w.attention_norm, tape.attention_sum, buffers.dsum, m, h, dx, pool,
                    grads != nullptr ? &grads->attention_norm : nullptr);
  SelfAttentionBackward(w.attention, bw, batch, seq, mask, tape.attention, dx, dprobs, buffers.attention,
                        grads != nullptr ? &grads->attention : nullptr, pool);
}

}  // namespace bt
