// Block: relative-position attention scores — self_attention.h's sibling for the families whose scores
// depend on the distance r = i − j between query i and key j:
//
//   score(i,j) = scale · ( q_i·k_j  [+ q_i·Pk[idx(r)]]  [+ k_j·Pq[idx(r)]] )  [+ bias[idx(r), head]]
//
//   MPNet                    bias only: one [32 buckets, heads] table shared by every layer, T5-style
//                            log buckets (exact below 8, log up to 128)
//   DeBERTa-v2/v3            c2p (q·Pk) and p2c (k·Pq), Pk/Pq = key/query projections of the (normed)
//                            relative embeddings, idx = clamp(bucket(r) + span, 0, 2·span − 1) with
//                            DeBERTa's log buckets (position_buckets); scale 1/√(3·head_dim); the
//                            attention mask is query × key (a padded query row is uniform over all keys)
//   BERT relative_key        q·E[r + max_positions − 1] (one [2·max − 1, head_dim] table per layer,
//        relative_key_query  shared by the heads) and + k·E[...]; scale 1/√head_dim
//
// Pk and Pq do not depend on the input: they are computed once at load (for DeBERTa the projections of
// the normed table; for BERT the table itself), so the forward is one pass over (query row, head) and
// the backward flows into q and k only (no parameter gradients for the tables: training is issue 19).
// Scores, softmax and p·v are plain loops (deterministic for any thread count, every row independent).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/attention.h"

namespace bt {

enum class RelativeMasking {
  kKeys,          // BERT/MPNet: masked keys get −inf (probability 0); every query row is an ordinary row
  kQueriesAndKeys // DeBERTa: mask_i · mask_j — a padded query row has no valid key and is uniform
};

struct RelativeAttention {
  int32_t heads = 0, head_dim = 0;
  float scale = 1.0f;                // multiplies q·k and the two content-position terms
  // idx(r) for r = i − j, stored at index[r + max_distance]; r beyond ±max_distance is clamped
  // (only for tables built for a given maximum sequence length).
  std::vector<int32_t> index;
  int32_t max_distance = 0;
  // Content→position (q·Pk) and position→content (k·Pq) tables, rows [idx, columns]: `width` floats a
  // row, head h at column h·head_stride (head_stride 0: one table shared by all heads). Empty: no term.
  std::vector<float> pos_key, pos_query;
  int32_t width = 0, head_stride = 0;
  // Additive bias [idx, heads] (MPNet); empty: none.
  std::vector<float> bias;
  RelativeMasking masking = RelativeMasking::kKeys;

  int32_t Index(int32_t i, int32_t j) const {
    int32_t r = i - j;
    if (r > max_distance) r = max_distance;
    if (r < -max_distance) r = -max_distance;
    return index[static_cast<size_t>(r + max_distance)];
  }
};

// --- relative position buckets (pure functions of the distance; exact transcriptions of HF's) ---
// MPNet / T5 (MPNetEncoder.relative_position_bucket, relative_position = key − query): 0..num_buckets−1.
int32_t MpnetBucket(int32_t relative_position, int32_t num_buckets = 32, int32_t max_distance = 128);
// DeBERTa-v2 make_log_bucket_position(r, bucket_size, max_position), float32 arithmetic as torch does it.
int32_t DebertaLogBucket(int32_t relative_position, int32_t bucket_size, int32_t max_position);

// Fills `index` for |r| ≤ max_distance with fn(r).
template <typename Fn>
void FillRelativeIndex(RelativeAttention& a, int32_t max_distance, Fn fn) {
  a.max_distance = max_distance;
  a.index.resize(static_cast<size_t>(2 * max_distance + 1));
  for (int32_t r = -max_distance; r <= max_distance; ++r) a.index[static_cast<size_t>(r + max_distance)] = fn(r);
}

// Forward over a padded batch (kernels/attention.h shapes: q, k, v token-major with row strides).
// queries (optional): attend from these flat rows only; q then holds just those rows (row i at
// q + i·q_stride), ctx [count, heads·head_dim]; probs must be null. probs: null or [batch, heads, seq, seq].
void RelativeAttentionForward(const RelativeAttention& a, const AttentionShape& shape, const float* q, const float* k,
                              const float* v, const int32_t* mask, float* ctx, float* probs, ThreadPool& pool,
                              const AttentionQueries* queries = nullptr);

// Backward (every row attended): from q|k|v (strides as the shape says, q at qkv, k at +H, v at +2H),
// the probabilities and dctx [m, H], writes dq|dk|dv into dqkv (same layout, overwritten). dprobs
// (optional): the gradient w.r.t. the probabilities (0 on masked keys).
void RelativeAttentionBackward(const RelativeAttention& a, const AttentionShape& shape, const float* qkv,
                               const float* probs, const int32_t* mask, const float* dctx, float* dqkv,
                               ThreadPool& pool, float* dprobs = nullptr);

}  // namespace bt
