// ModelParts: a loaded checkpoint's weights as the forward pass runs them — the encoder (embeddings
// and layers, each assembled from blocks) and the task head, plus the base model's pooler.
#pragma once

#include "models/encoder.h"
#include "models/head.h"

namespace bt {

struct ModelParts {
  EncoderWeights encoder;
  HeadKind head = HeadKind::kBase;
  HeadProgram head_program;  // empty for the base model
  HeadProgram pooler;        // the base model's pooler when the checkpoint has one
};

}  // namespace bt
