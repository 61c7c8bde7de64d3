// Block: XLNet's relative attention (Yang et al. 2019; Transformer-XL's relative positions), the
// h-stream of Hugging Face's XLNetRelativeAttention with attn_type "bi" and no memory:
//   score(i, j) = ( (q_i + r_w)·k_j                      content
//                 + (q_i + r_r)·k_r[seq - i + j]         position: k_r = pos_emb·R, distance i - j
//                 + (q_i + r_s)·seg[s_i != s_j] ) / √d   segment: same / different segment
//   p(i, ·) = softmax over the keys j that are not padding, or j = i (a padded query sees itself)
// q|k|v come from the layer's fused projection (no biases); pos_emb has 2·seq rows for the distances
// seq, seq-1, …, 1-seq (sin | cos halves, clamped to ±clamp_len when set). The backward (input
// gradients through q, k, v; the position keys and biases are constants of the input) is beside it.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/attention.h"
#include "models/blocks/dense.h"

namespace bt {

struct XlnetAttentionWeights {
  Linear r;                                          // [H, H] position projection (no bias)
  std::vector<float> r_w_bias, r_r_bias, r_s_bias;  // [heads * head_dim] each
  std::vector<float> seg_embed;                      // [2, heads * head_dim]: same segment, different
  int32_t clamp_len = -1;
  explicit operator bool() const { return static_cast<bool>(r); }
};

// The 2·seq relative position embeddings [2*seq, hidden] (row r: distance seq - r).
void XlnetPositionEmbeddings(int32_t seq, int32_t hidden, int32_t clamp_len, float* out);

// q rows (every token, or with `queries` the subset's rows compactly), k, v: token-major with the
// shape's strides; kr: [2*seq, heads*head_dim]. mask: [batch*seq] 0/1. segments: [batch*seq] or null.
// ctx: [rows, heads*head_dim]; probs: null or [batch, heads, seq, seq] (without a subset).
void XlnetAttention(const AttentionShape& shape, const XlnetAttentionWeights& w, const float* q, const float* k,
                    const float* v, const float* kr, const int32_t* mask, const int32_t* segments, float scale,
                    float* ctx, float* probs, const AttentionQueries* queries, ThreadPool& pool);

// From q|k|v (qkv, the shape's layout), the probabilities and dctx [m, H]: dq|dk|dv into dqkv
// (overwritten). dprobs (optional): the gradient w.r.t. the probabilities.
void XlnetAttentionBackward(const AttentionShape& shape, const XlnetAttentionWeights& w, const float* qkv,
                            const float* kr, const float* probs, const int32_t* mask, const int32_t* segments,
                            float scale, const float* dctx, float* dqkv, ThreadPool& pool, float* dprobs);

}  // namespace bt
