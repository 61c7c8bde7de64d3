// Reading the blocks' weights from a checkpoint by Hugging Face name, shapes checked: a packed linear
// layer (f32, or int8 for encoder layers loaded as q8) and a LayerNorm. Used by the architecture table's
// loader (architecture.cc).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/gemm.h"
#include "models/blocks/dense.h"
#include "models/blocks/layer_norm.h"
#include "models/embedding_table.h"
#include "models/weights.h"

namespace bt {

// Reads `<prefix>.weight` [out, in] and `<prefix>.bias` [out]; always float32 (heads, poolers).
Result<Linear> LoadLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in);
// The same for the encoder's layers: packed int8 when the weights are loaded quantized.
Result<Linear> LoadEncoderLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in);
// Concatenates several linears (encoder layers: int8 when quantized) that read the same input into one (e.g. query, key, value).
Result<Linear> LoadFusedLinear(const WeightSource& weights, const std::vector<std::string>& prefixes, int64_t out_each,
                               int64_t in);
// Linear from a [out, in] matrix stored elsewhere (tied MLM decoder = word embeddings) + `bias_name`.
// `table`: the word-embedding table loaded from `matrix_name` when the decoder is tied to it (null for
// a decoder with its own matrix). Tied and quantized (dtype q8): the decoder is int8, packed from the
// table's own int8 rows and scales (EmbeddingTable::QuantizeRow's rule; a converted checkpoint's stored
// rows) — no second quantisation. Otherwise float32.
Result<Linear> LoadTiedLinear(const WeightSource& weights, const std::string& matrix_name,
                              const std::string& bias_name, int64_t out, int64_t in, const EmbeddingTable* table);
// Reads `<prefix>.weight` and `<prefix>.bias` of length n.
Result<LayerNormWeights> LoadLayerNorm(const WeightSource& weights, const std::string& prefix, int64_t n, float eps);

// Families without biases (ModernBERT): `bias` false reads only `<prefix>.weight` (the bias is zero).
// encoder: int8 when the weights are loaded quantized.
Result<Linear> LoadLinearBias(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in,
                              bool bias, bool encoder);
// One stored [out, in] matrix that holds several projections (ModernBERT's Wqkv); bias "" = none. Encoder (q8).
Result<Linear> LoadFusedLinearBias(const WeightSource& weights, const std::string& matrix, const std::string& bias,
                                   int64_t out, int64_t in);
Result<LayerNormWeights> LoadLayerNormBias(const WeightSource& weights, const std::string& prefix, int64_t n, float eps,
                                           bool bias);
// Packs rows already in memory ([out, in]; bias empty = zeros), e.g. after a transpose (XLNet's [in, heads, d]).
Result<Linear> PackLinearFromRows(const WeightSource& weights, std::vector<float> rows, std::vector<float> bias,
                                  int64_t out, int64_t in, bool encoder, const std::string& name);

}  // namespace bt
