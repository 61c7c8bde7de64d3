// Target values and their gradients w.r.t. the word embeddings for many embedding sets of one
// sequence (IG's interpolation points, occluded or LIME-masked copies): the sets run as batch rows
// of the model's one forward pass with a tape (models/forward.h) and one backward, in chunks of at
// most `max_batch_tokens` tokens, in the model's arena.
#pragma once

#include <cstdint>
#include <vector>

#include "core/arena.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "explain/targets.h"
#include "models/backward_weights.h"
#include "models/model_parts.h"

namespace bt {

// One tokenized sequence: ids (positions, and the gathered input embeddings), type ids, mask.
struct SequenceInput {
  int32_t seq = 0;
  std::vector<int32_t> ids, type_ids, mask;  // type_ids may be empty (zeros)
};

struct GradientRequest {
  const float* embeddings = nullptr;  // [count, seq, E]
  int32_t count = 0;
  int32_t max_batch_tokens = 1024;
  // Optional, per layer [count, heads, seq, seq] (resized): the attention probabilities, and (with
  // grads) the target's gradient w.r.t. them.
  std::vector<std::vector<float>>* attention_probs = nullptr;
  std::vector<std::vector<float>>* attention_grads = nullptr;
  // Optional (with grads), [count, seq, E] (resized): the gradient w.r.t. the embedding layer's output.
  std::vector<float>* embedded_grads = nullptr;
};

// values: [count] (resized). grads: null (forward only) or [count, seq, E] (resized); needs
// `bw` built. The target must be resolved (ResolveTarget) and valid. Runs in `arena` (the model's).
Status TargetGradients(const ModelParts& parts, Arena& arena, const BackwardWeights* bw, const SequenceInput& input,
                       const Target& target, const GradientRequest& request, std::vector<double>& values,
                       std::vector<float>* grads, ThreadPool& pool);

// The head's output on TargetRows ([rows, n]) for one embedding set: what a target is read from.
Result<std::vector<float>> TargetHeadOutput(const ModelParts& parts, Arena& arena, const SequenceInput& input,
                                            const Target& target, const float* embeddings, ThreadPool& pool);

// The embedding layer's output LayerNorm(word + type + position) for one sequence's word vectors
// ([seq, E], before ALBERT's projection): the encoder's input, where grad_x_input takes its product.
std::vector<float> EmbeddingOutput(const EncoderWeights& w, const SequenceInput& input, const float* word_vectors,
                                   ThreadPool& pool);

}  // namespace bt
