// The encoder: the embeddings block, then the layers in order (encoder_layer.h), each assembled from
// blocks at load (the architecture table, architecture.h). BERT, DistilBERT, RoBERTa and ALBERT share
// it; ALBERT applies shared layers several times (layer_order).
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "models/blocks/embeddings.h"
#include "models/encoder_layer.h"
#include "models/tape.h"

namespace bt {

class BackwardWeights;

struct EncoderWeights {
  int32_t vocab_size = 0, embedding_size = 0, hidden_size = 0, intermediate_size = 0;
  int32_t num_heads = 0, max_positions = 0, type_vocab_size = 0;
  EmbeddingWeights embeddings;
  std::vector<EncoderLayerWeights> layers;  // distinct layers (ALBERT shares them)
  std::vector<int32_t> layer_order;         // for each applied layer, its index in `layers`
  LayerNormWeights final_norm;              // after the last layer (ModernBERT), or empty
  // XLNet: relative position embeddings (XlnetPositionEmbeddings) computed once per forward for every layer.
  bool relative_positions = false;
  int32_t clamp_len = -1;
  bool any_type_ids = false;  // token types are segment ids of any value >= 0 (XLNet), not embedding rows
  int32_t num_layers() const { return static_cast<int32_t>(layer_order.size()); }
  // Longest sequence the position table allows (RoBERTa loses padding_idx + 1 positions).
  int32_t max_sequence() const;
};

struct EncoderInput {
  int32_t batch = 0, seq = 0;
  const int32_t* ids = nullptr;         // [batch, seq]
  const int32_t* type_ids = nullptr;    // [batch, seq] or null (all zero)
  const int32_t* mask = nullptr;        // [batch, seq] of 0/1
  const float* word_vectors = nullptr;  // [batch*seq, E] or null (the table's rows for ids)
  const int32_t* task_type_ids = nullptr;  // [batch, seq] or null (all zero): ERNIE's task types
};

// Checks ids, type ids, mask and sizes against the weights; errors say which row/position.
Status ValidateEncoderInput(const EncoderWeights& weights, const EncoderInput& input);

// Where the encoder writes. hidden: [batch*seq, H] (the last layer's output).
// all_hidden: null or [layers + 1, batch*seq, H]; attentions: null or [layers, batch, heads, seq, seq].
// last_layer_rows (optional, only without all_hidden and attentions): the last layer computes only
// these flat token indices (b*seq + t, increasing) — all rows still give it keys and values — and
// writes them compactly to hidden[0 .. count) (the rest of hidden is scratch). What a head that reads a
// few rows ([CLS] for classifiers, [MASK] positions for fill-mask) needs, at a fraction of the layer.
struct EncoderOutput {
  float* hidden = nullptr;
  float* all_hidden = nullptr;
  float* attentions = nullptr;
  const int32_t* last_layer_rows = nullptr;
  int32_t last_layer_count = 0;
};

struct EncoderBuffers {
  EmbeddingBuffers embeddings;
  EncoderLayerBuffers layer;  // reused by every layer
  float* positional = nullptr;  // XLNet: [2*seq, H]
};

// With a tape (sized for every applied layer), records what EncoderBackward needs.
// dropout (training, optional): hidden dropout after the embeddings and in every post-norm layer.
void EncoderForward(const EncoderWeights& weights, const EncoderInput& input, const EncoderOutput& output,
                    const EncoderBuffers& buffers, Tape* tape, ThreadPool& pool, const Dropout* dropout = nullptr);

struct EncoderBackwardBuffers {
  EncoderLayerBackwardBuffers layer;
  EmbeddingBackwardBuffers embeddings;
  const float* positional = nullptr;  // XLNet: the forward's [2*seq, H] (EncoderBuffers::positional)
};

// Parameter-gradient accumulators: the embeddings', and per distinct layer (layers[i] null: frozen —
// its input gradient still flows). Needs a kParameterGradients tape.
struct EncoderGrads {
  EmbeddingGrads* embeddings = nullptr;
  std::vector<EncoderLayerGrads*> layers;
  // The backward stops after this applied layer when > 0 (nothing below it is trained; dword is then
  // not written), or before the embeddings when nothing there is wanted (no dword, dembedded, grads).
  int32_t first_layer = 0;
};

// dhidden [m, H]: the gradient w.r.t. the last hidden state (consumed). dword [m, E]: the gradient
// w.r.t. the word vectors. dprobs (optional): per applied layer, [batch, heads, seq, seq], the
// gradient w.r.t. its attention probabilities. dembedded (optional, [m, E]): w.r.t. the embeddings'
// LayerNorm output.
Status EncoderBackward(const EncoderWeights& weights, const BackwardWeights& bw, const Tape& tape, float* dhidden,
                       float* dword, float* const* dprobs, float* dembedded, const EncoderBackwardBuffers& buffers,
                       const EncoderGrads* grads, ThreadPool& pool);

}  // namespace bt
