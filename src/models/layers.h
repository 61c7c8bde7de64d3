// Small building blocks shared by every architecture's loader: a packed linear layer and a
// LayerNorm read from a checkpoint by Hugging Face name, with shapes checked.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/gemm.h"
#include "models/weights.h"

namespace bt {

struct LayerNormWeights {
  std::vector<float> gamma, beta;
  float eps = 1e-12f;
};

using Linear = std::unique_ptr<PackedLinear>;

// Reads `<prefix>.weight` [out, in] and `<prefix>.bias` [out]; always float32 (heads, poolers).
Result<Linear> LoadLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in);
// The same for the encoder's layers: packed int8 when the weights are loaded quantized.
Result<Linear> LoadEncoderLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in);
// Concatenates several linears (encoder layers: int8 when quantized) that read the same input into one (e.g. query, key, value).
Result<Linear> LoadFusedLinear(const WeightSource& weights, const std::vector<std::string>& prefixes, int64_t out_each,
                               int64_t in);
// Linear from a [out, in] matrix stored elsewhere (tied MLM decoder = word embeddings) + `bias_name`.
Result<Linear> LoadTiedLinear(const WeightSource& weights, const std::string& matrix_name,
                              const std::string& bias_name, int64_t out, int64_t in);
// Reads `<prefix>.weight` and `<prefix>.bias` of length n.
Result<LayerNormWeights> LoadLayerNorm(const WeightSource& weights, const std::string& prefix, int64_t n, float eps);

}  // namespace bt
