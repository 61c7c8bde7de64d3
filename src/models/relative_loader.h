// Loading the relative-position terms of attention (blocks/relative_attention.h) for the families that
// have them: MPNet (one bucketed bias table for every layer), DeBERTa-v2/v3 (disentangled c2p/p2c
// over log-bucketed relative embeddings, projected once at load) and BERT/RoBERTa's
// position_embedding_type relative_key / relative_key_query (a distance table per layer).
#pragma once

#include <string>

#include "core/status.h"
#include "io/config.h"
#include "models/encoder.h"
#include "models/weights.h"

namespace bt {

// Whether the family/config has relative-position attention at all.
bool HasRelativeAttention(const ModelConfig& config);

// The longest sequence a model without an absolute position table (DeBERTa-v3) accepts.
int32_t RelativeMaxSequence(const ModelConfig& config);

// Sets every loaded layer's attention.scores / attention.relative. `prefix`: the base model's prefix
// ("deberta." / "mpnet." / "" ...); `layer_path`: "<prefix>encoder.layer."; `query_name`: the layer's
// query projection name relative to a layer ("attention.self.query"), for BERT's distance tables.
// max_sequence: the encoder's longest sequence (every distance up to it gets an index).
Status LoadRelativeAttention(const ModelConfig& config, const WeightSource& weights, const std::string& prefix,
                             const std::string& layer_path, const std::string& query_name, int32_t max_sequence,
                             EncoderWeights& encoder);

}  // namespace bt
