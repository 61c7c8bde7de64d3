// A forward pass over the same ModelParts as Model::Forward that starts from the word embeddings
// (Hugging Face's inputs_embeds, the point Captum attributes to) and records what the backward pass
// needs. The numerics are those of RunEncoder/RunHead: same kernels, same order of operations, so a
// traced forward on the gathered embeddings reproduces Model::Forward bit for bit (tested to 1e-6).
//
// Recorded per layer: the fused q|k|v rows, the attention probabilities, the inputs of both
// LayerNorms and the FFN pre-activation. Layer inputs and the attention context are not kept (only
// input gradients are computed, never weight gradients), which is about 5H + I floats per token
// and layer, plus heads·seq² per sequence.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "models/encoder.h"
#include "models/head.h"

namespace bt {

struct TraceInput {
  int32_t batch = 0, seq = 0;
  const float* word_embeddings = nullptr;  // [batch*seq, E]: what gradients are taken with respect to
  const int32_t* ids = nullptr;            // [batch*seq]: only for RoBERTa's position ids
  const int32_t* type_ids = nullptr;       // [batch*seq] or null
  const int32_t* mask = nullptr;           // [batch*seq] of 0/1
};

// The embedding layer's output, LayerNorm(word + type + position) ([batch*seq, E], before ALBERT's
// projection): the encoder's input, where grad_x_input takes its product.
void EmbeddingOutput(const EncoderWeights& w, const TraceInput& in, std::vector<float>& out, ThreadPool& pool);

struct LayerTrace {
  std::vector<float> qkv;       // [m, 3H]
  std::vector<float> probs;     // [batch, heads, seq, seq]
  std::vector<float> attn_sum;  // [m, H]  x + Wo·ctx + bo (attention LayerNorm input)
  std::vector<float> ffn_pre;   // [m, I]  W1·h + b1 (before the activation)
  std::vector<float> ffn_sum;   // [m, H]  h + W2·act + b2 (FFN LayerNorm input)
};

struct EncoderTrace {
  int32_t batch = 0, seq = 0;
  std::vector<int32_t> mask;           // [m]
  std::vector<float> embedding_sum;    // [m, E] word + type + position (embedding LayerNorm input)
  std::vector<LayerTrace> layers;      // one per applied layer
  std::vector<float> hidden;           // [m, H] the last layer's output
};

// Writes row `ids[t]` of the word-embedding table for each of `tokens` tokens into out [tokens, E].
void GatherWordEmbeddings(const EncoderWeights& w, const int32_t* ids, int64_t tokens, float* out);

// The encoder from word embeddings, recording `trace`. Inputs must have passed ValidateEncoderInput.
void TraceEncoder(const EncoderWeights& w, const TraceInput& in, EncoderTrace& trace, ThreadPool& pool);

// A head run on selected rows of the hidden state only (rows are independent in every kernel, so
// the values equal those of RunHead's full run). steps[i] holds step i's input and, for a linear
// step with an activation, its pre-activation.
struct HeadStepTrace {
  std::vector<float> input;  // [rows, width in]
  std::vector<float> pre;    // [rows, n] linear steps with an activation; else empty
};
struct HeadTrace {
  int32_t rows = 0;
  std::vector<HeadStepTrace> steps;
  std::vector<float> output;  // [rows, output_size]
};

// rows: indices into hidden ([*, hidden_size]) of the rows to run.
void TraceHead(const HeadProgram& head, const float* hidden, int32_t hidden_size, const std::vector<int32_t>& rows,
               HeadTrace& trace, ThreadPool& pool);

}  // namespace bt
