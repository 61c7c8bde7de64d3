#include "models/encoder_layer.h"

#include <cstring>

namespace bt {

namespace {

// Pre-norm: s1 = x + Attention(LN1(x)); out = s1 + FFN(LN2(s1)).
void PreNormForward(const EncoderLayerWeights& w, const EncoderLayerIO& io, const EncoderLayerBuffers& buffers,
                    LayerTape* tape, ThreadPool& pool) {
  const int32_t h = w.attention.output->n(), m = io.batch * io.seq;
  const bool subset = io.query_rows != nullptr;
  const int32_t rows = subset ? io.query_count : m;
  const float* x = io.x;
  if (tape != nullptr) {  // LN1's input, read by the backward after x is overwritten
    std::memcpy(tape->input, io.x, sizeof(float) * static_cast<size_t>(m) * h);
    x = tape->input;
  }
  // LN1 over every row (keys and values need them all); an empty norm is the identity.
  const float* normed = x;
  if (!w.attention_norm.gamma.empty()) {
    float* out = tape != nullptr && tape->attention_in != nullptr ? tape->attention_in : buffers.sum;
    LayerNormForward(w.attention_norm, x, out, m, h, pool);
    normed = out;
  }
  const float* query_x = normed;
  const float* residual = x;
  if (subset) {  // the subset's raw rows (the residual) and normalised rows (the queries)
    float* raw = buffers.query_input;
    float* norm_rows = buffers.query_input + static_cast<size_t>(rows) * h;
    for (int32_t i = 0; i < rows; ++i) {
      const size_t src = static_cast<size_t>(io.query_rows[i]) * h;
      std::memcpy(raw + static_cast<size_t>(i) * h, x + src, sizeof(float) * h);
      std::memcpy(norm_rows + static_cast<size_t>(i) * h, normed + src, sizeof(float) * h);
    }
    query_x = norm_rows;
    residual = raw;
  }
  float* s1 = tape != nullptr ? tape->attention_sum : io.x;
  SelfAttentionIO attention{io.batch, io.seq, io.mask, normed, io.query_rows, io.query_count, query_x, s1, io.probs,
                            residual, io.segments, io.positional};
  SelfAttentionForward(w.attention, attention, buffers.attention, tape != nullptr ? &tape->attention : nullptr, pool);
  float* normed2 = tape != nullptr && tape->attention_out != nullptr ? tape->attention_out : buffers.sum;
  LayerNormForward(w.ffn_norm, s1, normed2, rows, h, pool);
  FeedForwardForward(w.ffn, FeedForwardIO{normed2, rows, s1, io.x}, buffers.ffn, tape != nullptr ? &tape->ffn : nullptr,
                     pool);
}

void PreNormBackward(const EncoderLayerWeights& w, const BackwardWeights& bw, int32_t batch, int32_t seq,
                     const int32_t* mask, const LayerTape& tape, float* dx, float* dprobs,
                     const EncoderLayerBackwardBuffers& buffers, const EncoderLayerGrads* grads, ThreadPool& pool,
                     const SelfAttentionBackwardInputs& inputs) {
  const int32_t h = w.attention.output->n(), m = batch * seq;
  const size_t n = static_cast<size_t>(m) * h;
  float* ds1 = buffers.dsum;
  // out = s1 + FFN(LN2(s1))
  std::memcpy(ds1, dx, sizeof(float) * n);
  FeedForwardBackward(w.ffn, bw, m, tape.ffn, dx, buffers.ffn, grads != nullptr ? &grads->ffn : nullptr, pool, false);
  LayerNormBackward(w.ffn_norm, tape.attention_sum, dx, m, h, dx, pool, grads != nullptr ? &grads->ffn_norm : nullptr);
  for (size_t i = 0; i < n; ++i) ds1[i] += dx[i];
  // s1 = x + Attention(LN1(x))
  std::memcpy(dx, ds1, sizeof(float) * n);
  SelfAttentionBackward(w.attention, bw, batch, seq, mask, tape.attention, ds1, dprobs, buffers.attention,
                        grads != nullptr ? &grads->attention : nullptr, pool, false, inputs);
  if (!w.attention_norm.gamma.empty()) {
    LayerNormBackward(w.attention_norm, tape.input, ds1, m, h, ds1, pool,
                      grads != nullptr ? &grads->attention_norm : nullptr);
  }
  for (size_t i = 0; i < n; ++i) dx[i] += ds1[i];
}

}  // namespace

void EncoderLayerForward(const EncoderLayerWeights& w, const EncoderLayerIO& io, const EncoderLayerBuffers& buffers,
                         LayerTape* tape, ThreadPool& pool) {
  const int32_t h = w.attention.output->n(), m = io.batch * io.seq;
  if (w.norm == NormPlacement::kPreNorm) {
    if (io.query_rows == nullptr || io.query_count > 0) PreNormForward(w, io, buffers, tape, pool);
    return;
  }
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
  // With hidden dropout (training; every row) each sublayer's output is dropped before its residual sum.
  const float p = io.dropout != nullptr && !subset ? io.dropout->hidden : 0.0f;
  const int64_t values = static_cast<int64_t>(rows) * h;
  if (tape != nullptr) {
    tape->dropout = p;
    tape->dropout_key = p > 0.0f ? io.dropout->key : 0;
    tape->layer = io.layer;
  }
  float* attention_sum = tape != nullptr ? tape->attention_sum : buffers.sum;
  SelfAttentionIO attention{io.batch, io.seq, io.mask, x, io.query_rows, io.query_count, query_x, attention_sum,
                            io.probs, nullptr, io.segments, io.positional};
  attention.no_residual = p > 0.0f;
  if (io.dropout != nullptr && !subset && io.dropout->attention > 0.0f) {  // taped layers only (the kernel keeps p)
    attention.probs_dropout = io.dropout->attention;
    attention.dropout_key = io.dropout->key;
    attention.layer = io.layer;
  }
  SelfAttentionForward(w.attention, attention, buffers.attention, tape != nullptr ? &tape->attention : nullptr, pool);
  if (p > 0.0f) DropoutResidual(io.dropout->key, DropoutSiteAttention(io.layer), p, x, attention_sum, values);
  float* normed = tape != nullptr && tape->attention_out != nullptr ? tape->attention_out : buffers.sum;
  LayerNormForward(w.attention_norm, attention_sum, normed, rows, h, pool);
  float* ffn_sum = tape != nullptr ? tape->ffn_sum : io.x;
  FeedForwardForward(w.ffn, FeedForwardIO{normed, rows, p > 0.0f ? nullptr : normed, ffn_sum}, buffers.ffn,
                     tape != nullptr ? &tape->ffn : nullptr, pool);
  if (p > 0.0f) DropoutResidual(io.dropout->key, DropoutSiteFfn(io.layer), p, normed, ffn_sum, values);
  LayerNormForward(w.ffn_norm, ffn_sum, io.x, rows, h, pool);
}

void EncoderLayerBackward(const EncoderLayerWeights& w, const BackwardWeights& bw, int32_t batch, int32_t seq,
                          const int32_t* mask, const LayerTape& tape, float* dx, float* dprobs,
                          const EncoderLayerBackwardBuffers& buffers, const EncoderLayerGrads* grads, ThreadPool& pool,
                          const SelfAttentionBackwardInputs& inputs) {
  if (w.norm == NormPlacement::kPreNorm) {
    PreNormBackward(w, bw, batch, seq, mask, tape, dx, dprobs, buffers, grads, pool, inputs);
    return;
  }
  const int32_t h = w.attention.output->n(), m = batch * seq;
  const size_t n = static_cast<size_t>(m) * h;
  const float p = tape.dropout;
  // out = LN2(s2), s2 = h1 + FFN(h1)   (with dropout: s2 = h1 + drop(FFN(h1)))
  LayerNormBackward(w.ffn_norm, tape.ffn_sum, dx, m, h, buffers.dsum, pool, grads != nullptr ? &grads->ffn_norm : nullptr);
  if (p > 0.0f) {  // dx (free here) keeps the residual's share; the FFN path gets the mask's
    std::memcpy(dx, buffers.dsum, sizeof(float) * n);
    ApplyDropout(tape.dropout_key, DropoutSiteFfn(tape.layer), p, buffers.dsum, static_cast<int64_t>(n));
    FeedForwardBackward(w.ffn, bw, m, tape.ffn, buffers.dsum, buffers.ffn, grads != nullptr ? &grads->ffn : nullptr, pool,
                        false);
    for (size_t i = 0; i < n; ++i) buffers.dsum[i] += dx[i];
  } else {
    FeedForwardBackward(w.ffn, bw, m, tape.ffn, buffers.dsum, buffers.ffn, grads != nullptr ? &grads->ffn : nullptr, pool);
  }
  // h1 = LN1(s1), s1 = x + Attention(x)   (with dropout: s1 = x + drop(Attention(x)))
  LayerNormBackward(w.attention_norm, tape.attention_sum, buffers.dsum, m, h, dx, pool,
                    grads != nullptr ? &grads->attention_norm : nullptr);
  if (p > 0.0f) {
    std::memcpy(buffers.dsum, dx, sizeof(float) * n);
    ApplyDropout(tape.dropout_key, DropoutSiteAttention(tape.layer), p, dx, static_cast<int64_t>(n));
    SelfAttentionBackward(w.attention, bw, batch, seq, mask, tape.attention, dx, dprobs, buffers.attention,
                          grads != nullptr ? &grads->attention : nullptr, pool, false, inputs);
    for (size_t i = 0; i < n; ++i) dx[i] += buffers.dsum[i];
    return;
  }
  SelfAttentionBackward(w.attention, bw, batch, seq, mask, tape.attention, dx, dprobs, buffers.attention,
                        grads != nullptr ? &grads->attention : nullptr, pool, true, inputs);
}

}  // namespace bt
