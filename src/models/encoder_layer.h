// One encoder layer, assembled from blocks (blocks/): self-attention (with its residual sum), norm,
// feed-forward (with its residual sum), norm. The same code runs
//   inference      no tape; optionally a query-row subset (the last layer when the head reads few rows)
//   explanations   a tape of what the input gradient needs (tape.h)
//   training       a tape that also keeps every linear's input (parameter gradients)
// and EncoderLayerBackward (beside it) runs the blocks' backwards in reverse.
//
// Norm placement is chosen at load: post-norm (BERT, XLNet: LN after each residual sum) or pre-norm
// (ModernBERT: LN before each sublayer; an empty attention norm is the identity, as ModernBERT's first
// layer has).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "models/dropout.h"
#include "models/blocks/feed_forward.h"
#include "models/blocks/layer_norm.h"
#include "models/blocks/self_attention.h"

namespace bt {

class BackwardWeights;

enum class NormPlacement {
  kPostNorm,  // x = LN1(x + Attention(x)); x = LN2(x + FFN(x))
  kPreNorm,   // x = x + Attention(LN1(x)); x = x + FFN(LN2(x))
};

struct EncoderLayerWeights {
  SelfAttentionWeights attention;
  LayerNormWeights attention_norm;
  FeedForwardWeights ffn;
  LayerNormWeights ffn_norm;
  NormPlacement norm = NormPlacement::kPostNorm;
};

struct EncoderLayerIO {
  int32_t batch = 0, seq = 0;
  const int32_t* mask = nullptr;  // [batch*seq] of 0/1
  // [m, H]: the layer's input, overwritten by its output — every row, or with a subset the subset's
  // rows compactly at x[0 .. count) (the rest is then scratch).
  float* x = nullptr;
  const int32_t* query_rows = nullptr;  // optional subset: flat token indices (b*seq + t, increasing)
  int32_t query_count = 0;
  float* probs = nullptr;  // optional [batch, heads, seq, seq] (without a subset)
  const int32_t* segments = nullptr;  // [batch*seq] token types (XLNet's segment term) or null
  const float* positional = nullptr;  // XLNet: [2*seq, H] relative position embeddings
  // Training (post-norm layers, every row): hidden dropout on the attention and FFN outputs, and (taped
  // layers) attention-probability dropout (dropout.h).
  const Dropout* dropout = nullptr;
  int32_t layer = 0;  // the applied layer's index (the dropout sites)
};

struct EncoderLayerBuffers {
  SelfAttentionBuffers attention;  // qkv, context, kernel scratch
  float* query_input = nullptr;    // [2 * count, H] the subset's input rows, then (pre-norm) their norm
  float* sum = nullptr;            // [rows, H] a residual sum / its normalised rows
  FeedForwardBuffers ffn;          // inner [rows, I]
};

// What one layer records (pointers into the arena).
struct LayerTape {
  float* input = nullptr;  // [m, H] the layer's input (parameter gradients; pre-norm: LN1's input, always)
  float* attention_in = nullptr;  // [m, H] pre-norm: LN1's output (parameter gradients only)
  SelfAttentionTape attention;
  float* attention_sum = nullptr;  // [m, H] x + attention: LN1's input (pre-norm: LN2's)
  float* attention_out = nullptr;  // [m, H] LN1's output (pre-norm: LN2's) — parameter gradients only
  FeedForwardTape ffn;
  float* ffn_sum = nullptr;  // [m, H] h + FFN(h): LN2's input (post-norm only)
  float dropout = 0.0f;       // the hidden dropout the forward applied (its sites: dropout_key, layer)
  uint64_t dropout_key = 0;
  int32_t layer = 0;
};

struct EncoderLayerGrads {
  SelfAttentionGrads attention;
  LayerNormGrads attention_norm;
  FeedForwardGrads ffn;
  LayerNormGrads ffn_norm;
};

void EncoderLayerForward(const EncoderLayerWeights& w, const EncoderLayerIO& io, const EncoderLayerBuffers& buffers,
                         LayerTape* tape, ThreadPool& pool);

struct EncoderLayerBackwardBuffers {
  float* dsum = nullptr;  // [m, H]
  SelfAttentionBackwardBuffers attention;
  FeedForwardBackwardBuffers ffn;
};

// dx [m, H]: on entry the gradient w.r.t. the layer's output, on return w.r.t. its input. dprobs
// (optional): the gradient w.r.t. the attention probabilities. grads (optional): parameter gradients
// (the tape must then have been recorded with TapeContents::kParameterGradients).
void EncoderLayerBackward(const EncoderLayerWeights& w, const BackwardWeights& bw, int32_t batch, int32_t seq,
                          const int32_t* mask, const LayerTape& tape, float* dx, float* dprobs,
                          const EncoderLayerBackwardBuffers& buffers, const EncoderLayerGrads* grads, ThreadPool& pool,
                          const SelfAttentionBackwardInputs& inputs = {});

}  // namespace bt
