// The post-LayerNorm transformer encoder that BERT, DistilBERT, RoBERTa and ALBERT share:
//   embeddings (word + position [+ token type]) -> LayerNorm [-> ALBERT projection E->H]
//   per layer: x = LN(x + Wo·attention(Wqkv·x)); x = LN(x + W2·act(W1·x))
// Architecture files only map checkpoint names onto these weights.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "models/embedding_table.h"
#include "models/layers.h"

namespace bt {

struct EmbeddingWeights {
  EmbeddingTable word;            // [vocab, E]
  std::vector<float> position;    // [max_positions, E]
  std::vector<float> token_type;  // [type_vocab, E], empty when the model has none
  LayerNormWeights norm;
  Linear projection;              // ALBERT's E -> H mapping, else null
  bool roberta_positions = false; // positions count non-pad ids from padding_idx + 1
  int32_t padding_idx = 0;
};

struct EncoderLayerWeights {
  Linear qkv;  // [3H, H]: query, key, value side by side
  Linear attention_output;
  LayerNormWeights attention_norm;
  Linear ffn_in;
  Linear ffn_out;
  LayerNormWeights ffn_norm;
};

struct EncoderWeights {
  int32_t vocab_size = 0, embedding_size = 0, hidden_size = 0, intermediate_size = 0;
  int32_t num_heads = 0, max_positions = 0, type_vocab_size = 0;
  Activation activation = Activation::kGeluErf;
  EmbeddingWeights embeddings;
  std::vector<EncoderLayerWeights> layers;  // distinct layers (ALBERT shares them)
  std::vector<int32_t> layer_order;         // for each applied layer, its index in `layers`
  int32_t num_layers() const { return static_cast<int32_t>(layer_order.size()); }
  // Longest sequence the position table allows (RoBERTa loses padding_idx + 1 positions).
  int32_t max_sequence() const;
};

struct EncoderInput {
  int32_t batch = 0, seq = 0;
  const int32_t* ids = nullptr;       // [batch, seq]
  const int32_t* type_ids = nullptr;  // [batch, seq] or null (all zero)
  const int32_t* mask = nullptr;      // [batch, seq] of 0/1
};

// Where the encoder writes. hidden: [batch*seq, H] (the last layer's output).
// all_hidden: null or [layers + 1, batch*seq, H]; attentions: null or [layers, batch, heads, seq, seq].
// rows (optional, only without all_hidden and attentions): the last layer computes only these flat
// token indices (b*seq + t, increasing) — all rows still give it keys and values — and writes them
// compactly to hidden[0 .. rows.size()) (the rest of hidden is scratch). What a head that reads a few
// rows ([CLS] for classifiers, [MASK] positions for fill-mask) needs, at a fraction of the last layer.
struct EncoderOutput {
  float* hidden = nullptr;
  float* all_hidden = nullptr;
  float* attentions = nullptr;
  const std::vector<int32_t>* rows = nullptr;
};

// Checks ids, type ids, mask and sizes against the weights; errors say which row/position.
Status ValidateEncoderInput(const EncoderWeights& weights, const EncoderInput& input);

// Scratch memory reused across calls: sized at load for one sequence of the maximum length,
// grown only when a larger batch arrives (never per call).
class EncoderWorkspace {
 public:
  float* Reserve(int64_t floats);
  size_t bytes() const { return buffer_.capacity() * sizeof(float); }

 private:
  std::vector<float> buffer_;
};

// Floats of scratch RunEncoder needs for a batch x seq input.
int64_t EncoderScratchFloats(const EncoderWeights& weights, int32_t batch, int32_t seq, const ThreadPool& pool);

void RunEncoder(const EncoderWeights& weights, const EncoderInput& input, const EncoderOutput& output,
                EncoderWorkspace& workspace, ThreadPool& pool);

}  // namespace bt
