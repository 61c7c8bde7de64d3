// The tape: what a forward pass records for the backward pass — explanations (gradients w.r.t. the
// input embeddings and the attention probabilities) and training (gradients w.r.t. parameters).
// Every pointer is a region of the model's arena, laid out by the forward plan (forward.h) when the
// tape is on and valid until the next forward pass on that model.
//
//   kInputGradients      per layer: q|k|v, attention probabilities, both residual sums (the norms'
//                        inputs), the FFN pre-activation; the embedding sum; the head steps' inputs
//                        and pre-activations. About (5H + I)·m + heads·seq²·batch floats per layer.
//   kParameterGradients  also every linear's input, which the input gradient never needs: the layer
//                        input, the attention context, the normalised attention output, the FFN
//                        activation, the embeddings' normalised rows (before a projection).
//                        Another (3H + I)·m floats per layer.
#pragma once

#include <cstdint>
#include <vector>

#include "models/blocks/embeddings.h"
#include "models/dropout.h"
#include "models/encoder_layer.h"
#include "models/head.h"

namespace bt {

enum class TapeContents : uint8_t { kInputGradients, kParameterGradients };

struct Tape {
  TapeContents contents = TapeContents::kInputGradients;
  int32_t batch = 0, seq = 0;
  // Applied layers below this one (and the embeddings, when > 0) ran untaped: training the last layers
  // records only those (ForwardSpec::tape_from_layer); their LayerTapes are empty.
  int32_t first_layer = 0;
  EmbeddingInput input;           // the forward's ids, type ids and word vectors (caller-owned)
  const int32_t* mask = nullptr;  // [batch*seq] (caller-owned)
  EmbeddingTape embeddings;
  std::vector<LayerTape> layers;  // one per applied layer
  float* final_input = nullptr;   // [m, H] the final norm's input (ModernBERT)
  HeadTape head;
  Dropout dropout;  // training: what the forward dropped (embeddings' output here; layers and head on theirs)
};

}  // namespace bt
