#include "models/blocks/self_attention.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/dot.h"
#include "models/backward_weights.h"

namespace bt {
namespace {

float Scale(const SelfAttentionWeights& w) {
  const int32_t h = w.output->n();
  return 1.0f / std::sqrt(static_cast<float>(h / w.heads));
}

// One (batch, head) pair; pointers at its first row and column. dp: seq floats of scratch.
// dprobs: null or the pair's [seq, seq] gradient w.r.t. the probabilities.
// dropout: null, or the probabilities' mask with this pair's first flat index (ctx = Σ_j p_j·s_j·v_j).
void AttendHeadBackward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs,
                        const int32_t* mask, float scale, const float* dctx, int32_t ctx_stride, float* dq, float* dk,
                        float* dv, float* dp, float* dprobs, const DropoutMask* dropout, int64_t dropout_base) {
  const int32_t seq = s.seq, hd = s.head_dim;
  bool any_valid_key = false;
  for (int32_t j = 0; j < seq; ++j) any_valid_key = any_valid_key || mask[j] != 0;
  for (int32_t i = 0; i < seq; ++i) {
    const float* p = probs + static_cast<size_t>(i) * seq;
    const float* g = dctx + static_cast<size_t>(i) * ctx_stride;
    // A row with no valid key (in its window) has uniform weights over every key.
    bool any_valid = any_valid_key;
    if (s.window > 0 && any_valid) {
      any_valid = false;
      for (int32_t j = std::max(0, i - s.window); j <= std::min(seq - 1, i + s.window); ++j) any_valid |= mask[j] != 0;
    }
    double weighted = 0.0;
    for (int32_t j = 0; j < seq; ++j) {
      if (any_valid && (mask[j] == 0 || (s.window > 0 && std::abs(i - j) > s.window))) {
        dp[j] = 0.0f;
        continue;
      }
      // keep = 1 without dropout: p·1 and 1·x are exact, the values those of the path without it.
      const float keep = dropout != nullptr ? dropout->Scale(dropout_base + static_cast<int64_t>(i) * seq + j) : 1.0f;
      AxpyF32(p[j] * keep, g, dv + static_cast<size_t>(j) * s.v_stride, hd);
      dp[j] = keep * DotF32Scalar(g, v + static_cast<size_t>(j) * s.v_stride, hd);
      weighted += static_cast<double>(p[j]) * dp[j];
    }
    if (dprobs != nullptr) std::memcpy(dprobs + static_cast<size_t>(i) * seq, dp, sizeof(float) * seq);
    if (!any_valid) continue;  // uniform weights: no dependence on the scores
    for (int32_t j = 0; j < seq; ++j) {
      if (mask[j] == 0 || (s.window > 0 && std::abs(i - j) > s.window)) continue;
      const float ds = static_cast<float>(p[j] * (dp[j] - weighted)) * scale;
      AxpyF32(ds, k + static_cast<size_t>(j) * s.k_stride, dq + static_cast<size_t>(i) * s.q_stride, hd);
      AxpyF32(ds, q + static_cast<size_t>(i) * s.q_stride, dk + static_cast<size_t>(j) * s.k_stride, hd);
    }
  }
}

// ctx = drop(p)·v per (batch, head) pair, over the kernel's context (scaled dot product; every row).
void DroppedContext(const AttentionShape& s, const float* qkv, const float* probs, const DropoutMask& dropout,
                    float* context, ThreadPool& pool) {
  const int32_t hidden = s.heads * s.head_dim, seq = s.seq, hd = s.head_dim;
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.heads;
  pool.ParallelFor(pairs, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t pair = p0; pair < p1; ++pair) {
      const int64_t b = pair / s.heads, hh = pair % s.heads;
      const size_t row0 = static_cast<size_t>(b) * seq, col = static_cast<size_t>(hh) * hd;
      const float* v = qkv + row0 * s.q_stride + 2 * hidden + col;
      const float* p = probs + static_cast<size_t>(pair) * seq * seq;
      for (int32_t i = 0; i < seq; ++i) {
        float* c = context + (row0 + i) * hidden + col;
        std::fill(c, c + hd, 0.0f);
        for (int32_t j = 0; j < seq; ++j) {
          const int64_t index = (pair * seq + i) * seq + j;
          const float w = p[static_cast<size_t>(i) * seq + j] * dropout.Scale(index);
          if (w != 0.0f) AxpyF32(w, v + static_cast<size_t>(j) * s.v_stride, c, hd);
        }
      }
    }
  });
}

}  // namespace

AttentionShape SelfAttentionShape(const SelfAttentionWeights& w, int32_t batch, int32_t seq) {
  const int32_t h = w.output->n();
  AttentionShape shape{batch, seq, w.heads, h / w.heads, 3 * h, 3 * h, 3 * h};
  shape.window = w.window;
  return shape;
}

void SelfAttentionForward(const SelfAttentionWeights& w, const SelfAttentionIO& io, const SelfAttentionBuffers& buffers,
                          SelfAttentionTape* tape, ThreadPool& pool) {
  const int32_t h = w.output->n(), m = io.batch * io.seq;
  const bool subset = io.query_rows != nullptr;
  const int32_t rows = subset ? io.query_count : m;
  if (rows == 0) return;
  float* qkv = tape != nullptr ? tape->qkv : buffers.qkv;
  if (subset) {
    // k|v from every row; q from the query rows only, compactly into the q columns of q|k|v rows
    // 0..count-1 (stride 3h), where the kernel reads a query subset.
    const LinearColumns kv{h, 3 * h, 3 * h}, q{0, h, 3 * h};
    LinearForward(*w.qkv, io.x, m, Activation::kNone, nullptr, qkv + h, pool, &kv, buffers.gemm);
    LinearForward(*w.qkv, io.query_x, rows, Activation::kNone, nullptr, qkv, pool, &q, buffers.gemm);
  } else {
    LinearForward(*w.qkv, io.x, m, Activation::kNone, nullptr, qkv, pool, nullptr, buffers.gemm);
  }
  if (w.rotary) {  // q (the query rows) and k (every row) rotated by their positions
    ApplyRotary(*w.rotary, qkv, 3 * h, rows, w.heads, subset ? io.query_rows : nullptr, io.seq, false);
    ApplyRotary(*w.rotary, qkv + h, 3 * h, m, w.heads, nullptr, io.seq, false);
  }
  float* probs = tape != nullptr ? tape->probs : io.probs;
  float* context = tape != nullptr && tape->context != nullptr ? tape->context : buffers.context;
  const AttentionQueries queries{io.query_rows, io.query_count};
  const AttentionShape shape = SelfAttentionShape(w, io.batch, io.seq);
  if (w.scores == AttentionScores::kRelative) {
    RelativeAttentionForward(*w.relative, shape, qkv, qkv + h, qkv + 2 * h, io.mask, context, probs, pool,
                             subset ? &queries : nullptr);
  } else if (w.scores == AttentionScores::kXlnetRelative) {
    LinearForward(*w.xlnet.r, io.positional, 2 * io.seq, Activation::kNone, nullptr, buffers.relative, pool, nullptr,
                  buffers.gemm);
    XlnetAttention(shape, w.xlnet, qkv, qkv + h, qkv + 2 * h, buffers.relative, io.mask, io.segments, Scale(w), context,
                   probs, subset ? &queries : nullptr, pool);
  } else {
    MultiHeadAttention(shape, qkv, qkv + h, qkv + 2 * h, io.mask, Scale(w), context, probs, buffers.scratch, pool,
                       subset ? &queries : nullptr);
    if (io.probs_dropout > 0.0f && tape != nullptr && !subset) {  // the tape keeps p; the context is drop(p)·v
      DroppedContext(shape, qkv, probs, DropoutMask(io.dropout_key, DropoutSiteProbs(io.layer), io.probs_dropout), context,
                     pool);
      tape->probs_dropout = io.probs_dropout;
      tape->dropout_key = io.dropout_key;
      tape->layer = io.layer;
    }
  }
  const float* residual = io.no_residual ? nullptr : io.residual != nullptr ? io.residual : io.query_x;
  LinearForward(*w.output, context, rows, Activation::kNone, residual, io.out,
                pool, nullptr, buffers.gemm);
  if (tape == nullptr) return;
  tape->x = io.x;
  if (io.probs != nullptr && io.probs != probs) {
    std::memcpy(io.probs, probs, sizeof(float) * static_cast<size_t>(io.batch) * w.heads * io.seq * io.seq);
  }
}

void SelfAttentionBackward(const SelfAttentionWeights& w, const BackwardWeights& bw, int32_t batch, int32_t seq,
                           const int32_t* mask, const SelfAttentionTape& tape, float* dx, float* dprobs,
                           const SelfAttentionBackwardBuffers& buffers, const SelfAttentionGrads* grads,
                           ThreadPool& pool, bool add_residual, const SelfAttentionBackwardInputs& inputs) {
  const int32_t h = w.output->n(), m = batch * seq;
  if (grads != nullptr) AccumulateLinearGrads(tape.context, dx, m, h, h, grads->output, pool);
  LinearBackward(*bw.Transposed(*w.output), dx, m, false, buffers.dcontext, pool, buffers.gemm);
  const AttentionShape shape = SelfAttentionShape(w, batch, seq);
  if (w.scores == AttentionScores::kRelative) {
    RelativeAttentionBackward(*w.relative, shape, tape.qkv, tape.probs, mask, buffers.dcontext, buffers.dqkv, pool,
                              dprobs);
  } else if (w.scores == AttentionScores::kXlnetRelative) {
    LinearForward(*w.xlnet.r, inputs.positional, 2 * seq, Activation::kNone, nullptr, buffers.relative, pool, nullptr,
                  buffers.gemm);
    XlnetAttentionBackward(shape, w.xlnet, tape.qkv, buffers.relative, tape.probs, mask, inputs.segments, Scale(w),
                           buffers.dcontext, buffers.dqkv, pool, dprobs);
  } else {
    if (tape.probs_dropout > 0.0f) {
      const DropoutMask dropout(tape.dropout_key, DropoutSiteProbs(tape.layer), tape.probs_dropout);
      AttentionBackward(shape, tape.qkv, tape.probs, mask, Scale(w), buffers.dcontext, buffers.dqkv, pool, dprobs, &dropout);
    } else {
      AttentionBackward(shape, tape.qkv, tape.probs, mask, Scale(w), buffers.dcontext, buffers.dqkv, pool, dprobs);
    }
  }
  if (w.rotary) {  // the gradient w.r.t. the rotated q and k, back through the rotation
    ApplyRotary(*w.rotary, buffers.dqkv, 3 * h, m, w.heads, nullptr, seq, true);
    ApplyRotary(*w.rotary, buffers.dqkv + h, 3 * h, m, w.heads, nullptr, seq, true);
  }
  if (grads != nullptr) AccumulateLinearGrads(tape.x, buffers.dqkv, m, 3 * h, h, grads->qkv, pool);
  // + the residual when x is also the residual (post-norm)
  LinearBackward(*bw.Transposed(*w.qkv), buffers.dqkv, m, add_residual, dx, pool, buffers.gemm);
}

void AttentionBackward(const AttentionShape& s, const float* qkv, const float* probs, const int32_t* mask, float scale,
                       const float* dctx, float* dqkv, ThreadPool& pool, float* dprobs, const DropoutMask* dropout) {
  const int32_t hidden = s.heads * s.head_dim;
  const int64_t rows = static_cast<int64_t>(s.batch) * s.seq;
  for (int64_t r = 0; r < rows; ++r) std::memset(dqkv + r * s.q_stride, 0, sizeof(float) * 3 * hidden);
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.heads;
  pool.ParallelFor(pairs, 1, [&](int64_t p0, int64_t p1) {
    std::vector<float> dp(static_cast<size_t>(s.seq));
    for (int64_t pair = p0; pair < p1; ++pair) {
      const int64_t b = pair / s.heads, hh = pair % s.heads;
      const size_t row0 = static_cast<size_t>(b) * s.seq, col = static_cast<size_t>(hh) * s.head_dim;
      const float* base = qkv + row0 * s.q_stride + col;
      float* dbase = dqkv + row0 * s.q_stride + col;
      AttendHeadBackward(s, base, base + hidden, base + 2 * hidden, probs + static_cast<size_t>(pair) * s.seq * s.seq,
                         mask + row0, scale, dctx + row0 * hidden + col, hidden, dbase, dbase + hidden,
                         dbase + 2 * hidden, dp.data(),
                         dprobs == nullptr ? nullptr : dprobs + static_cast<size_t>(pair) * s.seq * s.seq, dropout,
                         pair * s.seq * s.seq);
    }
  });
}

}  // namespace bt
