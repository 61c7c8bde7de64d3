// Block: embeddings — the encoder's input rows from token ids (or given word vectors):
//   sum  = ((word [+ token type]) + position) [+ task type]   (Hugging Face's order of additions;
//                                                             task types: ERNIE 3.0's use_task_id)
//   out  = LayerNorm(sum) [· projection E -> H]     (ALBERT's factorised embeddings)
// Position ids are computed here and only here (ComputePositionIds). What a family uses is chosen at
// load by the architecture table (architecture.h): which position ids, whether token types exist,
// whether there is a projection (ALBERT, ELECTRA), whether task types exist (ERNIE).
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "models/blocks/dense.h"
#include "models/blocks/layer_norm.h"
#include "models/embedding_table.h"

namespace bt {

class BackwardWeights;

enum class PositionIds {
  kAbsolute,      // 0, 1, ..., seq - 1
  kAfterPadding,  // RoBERTa: padding_idx + 1 + the running count of non-pad ids; pads get padding_idx
  kNone,          // no position table (DeBERTa-v3, ModernBERT's rotary, XLNet: positions live in attention)
};

struct EmbeddingWeights {
  EmbeddingTable word;            // [vocab, E]
  std::vector<float> position;    // [max_positions, E]; empty with PositionIds::kNone
  std::vector<float> token_type;  // [type_vocab, E], empty when the model has none
  std::vector<float> task_type;   // [task_type_vocab, E], ERNIE with use_task_id; else empty
  int32_t task_type_vocab = 0;
  LayerNormWeights norm;  // empty: none (XLNet)
  Linear projection;  // E -> H (ALBERT), else null
  PositionIds positions = PositionIds::kAbsolute;
  int32_t padding_idx = 0;
  bool position_before_type = false;  // DeBERTa: (word + position) + type
  bool zero_padded_rows = false;      // DeBERTa: the output is multiplied by the attention mask
};

struct EmbeddingInput {
  int32_t batch = 0, seq = 0;
  const int32_t* ids = nullptr;       // [batch*seq]: the word rows (unless word_vectors) and RoBERTa's positions
  const int32_t* type_ids = nullptr;  // [batch*seq] or null (all zero)
  // [batch*seq, E] or null: the word embeddings to use instead of the table's rows (Hugging Face's
  // inputs_embeds: what explanations perturb and differentiate).
  const float* word_vectors = nullptr;
  const int32_t* task_type_ids = nullptr;  // [batch*seq] or null (all zero); used when w.task_type is set
  const int32_t* mask = nullptr;  // [batch*seq] of 0/1 (zero_padded_rows), or null (all ones)
};

// What the backward pass needs (pointers into the arena; see tape.h).
struct EmbeddingTape {
  float* sum = nullptr;     // [m, E] the LayerNorm's input
  float* normed = nullptr;  // [m, E] the LayerNorm's output, with a projection and parameter gradients (its input)
  const int32_t* positions = nullptr;  // [m] (parameter gradients)
};

struct EmbeddingBuffers {
  int32_t* positions = nullptr;  // [m]
  float* normed = nullptr;       // [m, E] with a projection
  LinearScratch gemm;
};

// Parameter-gradient accumulators (training, issue 19): rows of the tables by id, the norm, the projection.
struct EmbeddingGrads {
  float* word = nullptr;        // [vocab, E] (only the rows of the ids seen are touched)
  float* position = nullptr;    // [max_positions, E]
  float* token_type = nullptr;  // [type_vocab, E]
  float* task_type = nullptr;   // [task_type_vocab, E]
  LayerNormGrads norm;
  LinearGrads projection;
};

// Position id of every token ([batch*seq]).
void ComputePositionIds(const EmbeddingWeights& w, const int32_t* ids, int32_t batch, int32_t seq, int32_t* out);

// The word row of each of `tokens` ids from the table ([tokens, E]).
void GatherWordEmbeddings(const EmbeddingWeights& w, const int32_t* ids, int64_t tokens, float* out);

// LayerNorm(word + type + position) ([m, E]): the block before its projection, where gradient × input
// takes its product (explain/). sum: [m, E] scratch for the sum (may equal out).
void NormalizedEmbeddings(const EmbeddingWeights& w, const EmbeddingInput& in, const int32_t* positions, float* sum,
                          float* out, ThreadPool& pool);

// out: [m, H] (H = E without a projection). With a tape, records what EmbeddingsBackward needs.
void EmbeddingsForward(const EmbeddingWeights& w, const EmbeddingInput& in, float* out, const EmbeddingBuffers& buffers,
                       EmbeddingTape* tape, ThreadPool& pool);

struct EmbeddingBackwardBuffers {
  float* dnormed = nullptr;  // [m, E] with a projection
  LinearScratch gemm;
};

// dout [m, H] (consumed: overwritten) -> dword [m, E], the gradient w.r.t. the word vectors (the
// sum's gradient). dnormed_out (optional, [m, E]): the gradient at the LayerNorm's output. `in` is the
// forward's input (ids and type ids for the parameter gradients).
void EmbeddingsBackward(const EmbeddingWeights& w, const BackwardWeights& bw, const EmbeddingInput& in,
                        const EmbeddingTape& tape, float* dout, float* dword, float* dnormed_out,
                        const EmbeddingBackwardBuffers& buffers, const EmbeddingGrads* grads, ThreadPool& pool);

}  // namespace bt
