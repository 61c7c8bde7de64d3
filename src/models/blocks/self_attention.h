// Block: multi-head self-attention with its projections and the residual sum,
//   q|k|v = x·Wqkvᵀ + b    scores = q·kᵀ · 1/√d (+ terms)    p = softmax(scores + mask)
//   out   = query_x + (p·v)·Woᵀ + bo
// over a padded batch. With a query-row subset only those rows attend and are written (keys and values
// still come from every row): the pruned last layer when the head reads a few rows.
//
// How scores are formed is chosen at load (AttentionScores). Today: scaled dot product. The next issue
// adds its siblings here — relative-position terms (BERT relative_key[_query], MPNet's bucketed bias,
// DeBERTa's disentangled c2p/p2c, XLNet's two relative terms), rotary q/k, windows — each with its
// backward beside its forward.
#pragma once

#include <cstdint>
#include <memory>

#include "core/thread_pool.h"
#include "kernels/attention.h"
#include "models/dropout.h"
#include "models/blocks/dense.h"
#include "models/blocks/relative_attention.h"
#include "models/blocks/rotary.h"
#include "models/blocks/xlnet_attention.h"

namespace bt {

class BackwardWeights;

enum class AttentionScores {
  kScaledDotProduct,  // q·k / √head_dim (with `rotary`: on rotated q and k; with `window`: a sliding window)
  kRelative,          // relative-position terms (relative_attention.h: MPNet, DeBERTa, BERT relative_key*)
  kXlnetRelative,     // XLNet: content, relative-position and segment terms (xlnet_attention.h)
};

struct SelfAttentionWeights {
  Linear qkv;     // [3H, H]: query, key, value side by side
  Linear output;  // [H, H]
  int32_t heads = 0;
  AttentionScores scores = AttentionScores::kScaledDotProduct;
  std::shared_ptr<const RelativeAttention> relative;  // kRelative: the terms (may be shared by layers)
  std::shared_ptr<const RotaryTable> rotary;  // ModernBERT: rotary q and k (null: none)
  int32_t window = 0;                         // > 0: keys with |i - j| <= window only (ModernBERT local layers)
  XlnetAttentionWeights xlnet;                // kXlnetRelative
};

struct SelfAttentionIO {
  int32_t batch = 0, seq = 0;
  const int32_t* mask = nullptr;  // [batch*seq] of 0/1
  const float* x = nullptr;       // [m, H] every token's input (keys and values; queries without a subset)
  // Optional subset: only these flat token indices (b*seq + t, increasing) attend; their inputs are
  // query_x ([count, H]), and out has `count` rows. Without it query_x = x and out has m rows.
  const int32_t* query_rows = nullptr;
  int32_t query_count = 0;
  const float* query_x = nullptr;
  float* out = nullptr;    // [rows, H]: residual + attention output (the residual sum); may alias query_x
  float* probs = nullptr;  // optional [batch, heads, seq, seq] (without a subset)
  // [rows, H] the residual when it is not query_x (pre-norm: the layer's input, query_x its norm); may alias out.
  const float* residual = nullptr;
  const int32_t* segments = nullptr;  // [batch*seq] token types (XLNet's segment term), or null (all 0)
  const float* positional = nullptr;  // XLNet: [2*seq, H] relative position embeddings (XlnetPositionEmbeddings)
  bool no_residual = false;  // out = the attention output alone (the caller adds the residual: training dropout)
  // Training, with a tape (scaled dot product, every row): dropout on the probabilities, mask site
  // DropoutSiteProbs(layer) over [batch, heads, seq, seq]; the tape keeps the probabilities undropped.
  float probs_dropout = 0.0f;
  uint64_t dropout_key = 0;
  int32_t layer = 0;
};

struct SelfAttentionBuffers {
  float* qkv = nullptr;      // [m, 3H]
  float* context = nullptr;  // [rows, H]
  float* scratch = nullptr;  // AttentionScratchFloats
  float* relative = nullptr; // XLNet: [2*seq, H] the position keys k_r of the current layer
  LinearScratch gemm;
};

// Recorded for the backward pass (tape.h). With a tape, qkv and probs are written there.
struct SelfAttentionTape {
  float* qkv = nullptr;      // [m, 3H]
  float* probs = nullptr;    // [batch, heads, seq, seq]
  float* context = nullptr;  // [m, H] (parameter gradients: the output projection's input)
  const float* x = nullptr;  // [m, H] the input (parameter gradients: the q|k|v projection's input)
  float probs_dropout = 0.0f;  // the dropout the forward applied to the probabilities (SelfAttentionIO)
  uint64_t dropout_key = 0;
  int32_t layer = 0;
};

struct SelfAttentionGrads {
  LinearGrads qkv, output;
};


AttentionShape SelfAttentionShape(const SelfAttentionWeights& w, int32_t batch, int32_t seq);

void SelfAttentionForward(const SelfAttentionWeights& w, const SelfAttentionIO& io, const SelfAttentionBuffers& buffers,
                          SelfAttentionTape* tape, ThreadPool& pool);

struct SelfAttentionBackwardBuffers {
  float* dcontext = nullptr;  // [m, H]
  float* dqkv = nullptr;      // [m, 3H]
  float* relative = nullptr;  // XLNet: [2*seq, H] the position keys, recomputed
  LinearScratch gemm;
};

// What the backward pass reads besides the tape: the forward's segments and XLNet's positional rows.
struct SelfAttentionBackwardInputs {
  const int32_t* segments = nullptr;
  const float* positional = nullptr;
};

// dx [m, H]: on entry the gradient w.r.t. `out`, on return w.r.t. x (the residual's identity plus the
// attention path; add_residual false: the attention path only — pre-norm, where x is the norm's output
// and the residual is not). dprobs (optional, [batch, heads, seq, seq]): the gradient w.r.t. the
// probabilities. Without a query subset (a taped forward attends from every row).
void SelfAttentionBackward(const SelfAttentionWeights& w, const BackwardWeights& bw, int32_t batch, int32_t seq,
                           const int32_t* mask, const SelfAttentionTape& tape, float* dx, float* dprobs,
                           const SelfAttentionBackwardBuffers& buffers, const SelfAttentionGrads* grads,
                           ThreadPool& pool, bool add_residual = true, const SelfAttentionBackwardInputs& inputs = {});

// The attention kernel's backward (kernels/attention.h shapes): from q|k|v, the probabilities
// [batch, heads, seq, seq] and dctx [batch*seq, heads*head_dim], writes dq|dk|dv into dqkv (the layout
// and strides of qkv, overwritten). Masked keys have probability 0 and get no gradient; a row with no
// valid key (uniform weights, independent of the scores) passes gradient to v only. dprobs (optional):
// dctx_i·v_j (0 on masked keys).
// dropout (optional): the mask the forward applied to the probabilities (index: the probability's flat
// index in [batch, heads, seq, seq]); dprobs is then w.r.t. the undropped probabilities.
void AttentionBackward(const AttentionShape& shape, const float* qkv, const float* probs, const int32_t* mask,
                       float scale, const float* dctx, float* dqkv, ThreadPool& pool, float* dprobs = nullptr,
                       const DropoutMask* dropout = nullptr);

}  // namespace bt
