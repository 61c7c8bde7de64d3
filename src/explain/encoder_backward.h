// The encoder's backward pass: from the gradient of the last hidden state to the gradient of the
// word embeddings, through every traced layer in reverse (LayerNorms, FFN, attention, residuals),
// the ALBERT projection and the embedding LayerNorm.
#pragma once

#include <vector>

#include "core/status.h"
#include "explain/forward_trace.h"
#include "explain/unpacked_weights.h"

namespace bt {

// dhidden: [m, H] (consumed). dword: [m, E] (resized). dprobs (optional): per traced layer, the
// gradient w.r.t. its attention probabilities ([batch, heads, seq, seq], like LayerTrace::probs).
// dembedded (optional): [m, E] the gradient w.r.t. the embedding layer's output (EmbeddingOutput).
Status EncoderBackward(const EncoderWeights& w, const BackwardWeights& bw, const EncoderTrace& trace,
                       std::vector<float>& dhidden, std::vector<float>& dword, ThreadPool& pool,
                       std::vector<std::vector<float>>* dprobs = nullptr, std::vector<float>* dembedded = nullptr);

}  // namespace bt
