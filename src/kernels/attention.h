// Multi-head scaled dot-product self-attention over a padded batch.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace bt {

struct AttentionShape {
  int32_t batch, seq, heads, head_dim;
  // Row strides (in floats) of q, k, v rows: e.g. 3*hidden when q/k/v sit side by side in one buffer.
  int32_t q_stride, k_stride, v_stride;
  // > 0: sliding window — query i sees only keys j with |i - j| <= window (ModernBERT's local layers).
  // A query with no valid key inside its window gets uniform weights over all seq keys (Hugging Face's
  // finfo.min mask on every key of that row).
  int32_t window = 0;
};

// q, k, v: token-major [batch*seq rows, heads*head_dim at column offset h*head_dim] with the strides
// above. mask: [batch, seq] of 0/1 (1 = attend). ctx: [batch*seq, heads*head_dim] (stride heads*head_dim).
// probs: nullptr, or [batch, heads, seq, seq] to receive the attention probabilities.
// Keys with mask 0 get probability exactly 0 (a row with no valid key is uniform, as Hugging
// Face's additive finfo.min mask gives). Scores are (q·k) * scale before the softmax.
// scratch: at least AttentionScratchFloats(shape, pool) floats.
// queries (optional): attend from these rows only, flat token indices b*seq + t (increasing); q then
// holds just those rows, in that order (row i at q + i*q_stride), ctx is [queries->count,
// heads*head_dim] likewise, and probs must be null. Each row's result is the one the full call
// computes for it (same kernels, same order of operations).
struct AttentionQueries {
  const int32_t* rows = nullptr;
  int32_t count = 0;
};
void MultiHeadAttention(const AttentionShape& shape, const float* q, const float* k, const float* v,
                        const int32_t* mask, float scale, float* ctx, float* probs, float* scratch,
                        ThreadPool& pool, const AttentionQueries* queries = nullptr);
int64_t AttentionScratchFloats(const AttentionShape& shape, const ThreadPool& pool);

}  // namespace bt
