#include "models/layers.h"

#include <algorithm>

#include "kernels/gemm_q8.h"

namespace bt {
namespace {

// Packs [n, k] weights read from the checkpoint a few panels at a time (W is never held whole):
// int8 when the checkpoint is loaded quantized and `allow_q8` (encoder layers). `parts` are
// tensors stacked along n (q, k, v), each [n / parts.size(), k]. The packer or the quantiser checks
// the weights for NaN / ±Inf as it goes (validate_weights; WeightSource::F32Rows / Q8Rows).
Result<Linear> PackFromCheckpoint(const WeightSource& weights, const std::vector<const TensorView*>& parts,
                                  const std::vector<float>& bias, int64_t n, int64_t k, bool allow_q8,
                                  const std::string& name) {
  Status status = Status::Ok();
  const auto n32 = static_cast<int32_t>(n), k32 = static_cast<int32_t>(k);
  Linear packed;
  if (allow_q8 && weights.quantized()) {
    // int8: float parts quantised now or stored-int8 parts read as they are (WeightSource::Q8Rows).
    packed = PackLinearQ8FromInt8(weights.Q8Rows(parts, k, &status), bias.data(), n32, k32);
  } else {
    const F32RowReader f32 = weights.F32Rows(parts, k, &status);
    packed = PackLinearF32(f32.rows, bias.data(), n32, k32, f32.on_nonfinite);
  }
  BT_RETURN_IF_ERROR(status);
  if (!packed) return Status::OutOfMemory("out of memory packing '" + name + "'");
  return packed;
}

Result<Linear> LoadPacked(const WeightSource& weights, const std::vector<std::string>& matrices,
                          const std::vector<std::string>& biases, int64_t out_each, int64_t in, bool allow_q8) {
  std::vector<const TensorView*> parts;
  std::vector<float> bias;
  bias.reserve(matrices.size() * out_each);
  for (size_t i = 0; i < matrices.size(); ++i) {
    BT_ASSIGN_OR_RETURN(const TensorView* view, weights.View(matrices[i], {out_each, in}));
    parts.push_back(view);
    if (biases[i].empty()) {  // a layer without bias (ModernBERT): zeros, which add exactly nothing
      bias.insert(bias.end(), static_cast<size_t>(out_each), 0.0f);
      continue;
    }
    BT_ASSIGN_OR_RETURN(std::vector<float> part_b, weights.Get(biases[i], {out_each}));
    bias.insert(bias.end(), part_b.begin(), part_b.end());
  }
  return PackFromCheckpoint(weights, parts, bias, static_cast<int64_t>(bias.size()), in, allow_q8, matrices.front());
}

}  // namespace

Result<Linear> LoadLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in) {
  return LoadPacked(weights, {prefix + ".weight"}, {prefix + ".bias"}, out, in, /*allow_q8=*/false);
}

Result<Linear> LoadEncoderLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in) {
  return LoadPacked(weights, {prefix + ".weight"}, {prefix + ".bias"}, out, in, /*allow_q8=*/true);
}

Result<Linear> LoadFusedLinear(const WeightSource& weights, const std::vector<std::string>& prefixes, int64_t out_each,
                               int64_t in) {
  std::vector<std::string> matrices, biases;
  for (const std::string& prefix : prefixes) {
    matrices.push_back(prefix + ".weight");
    biases.push_back(prefix + ".bias");
  }
  return LoadPacked(weights, matrices, biases, out_each, in, /*allow_q8=*/true);
}

Result<Linear> LoadTiedLinear(const WeightSource& weights, const std::string& matrix_name,
                              const std::string& bias_name, int64_t out, int64_t in, const EmbeddingTable* table) {
  if (table == nullptr || !weights.quantized() || !table->quantized()) {
    return LoadPacked(weights, {matrix_name}, {bias_name}, out, in, /*allow_q8=*/false);
  }
  BT_ASSIGN_OR_RETURN(const TensorView* view, weights.View(matrix_name, {out, in}));
  if (table->rows() != out || table->width() != in) {
    return Status::Internal("tensor '" + view->name + "': the tied decoder's shape differs from the embedding table's");
  }
  weights.NoteQ8Embedding(matrix_name);  // read as the table's int8 rows (the converter stores it so)
  std::vector<float> bias(static_cast<size_t>(out), 0.0f);
  if (!bias_name.empty()) {
    BT_ASSIGN_OR_RETURN(bias, weights.Get(bias_name, {out}));
  }
  const auto k = static_cast<size_t>(in);
  // The table's int8 rows are in [-127, 127] (embedding rule); the GEMM takes 7-bit weights, so each row
  // is narrowed from the table's own int8 values (NarrowRowToQ8Weights: integer-derived, the same for a
  // load-time table and a converted one).
  const Q8WeightRowSource rows = [table, k](int32_t row0, int32_t count, int8_t* q, float* scales) {
    for (int32_t i = 0; i < count; ++i) {
      NarrowRowToQ8Weights(table->q8_row(row0 + i), table->scale(row0 + i), static_cast<int32_t>(k),
                           q + static_cast<size_t>(i) * k, scales + i);
    }
    return true;
  };
  Linear packed = PackLinearQ8FromInt8(rows, bias.data(), static_cast<int32_t>(out), static_cast<int32_t>(in));
  if (!packed) return Status::OutOfMemory("out of memory packing '" + matrix_name + "' (tied decoder)");
  return packed;
}

Result<LayerNormWeights> LoadLayerNorm(const WeightSource& weights, const std::string& prefix, int64_t n, float eps) {
  LayerNormWeights norm;
  BT_ASSIGN_OR_RETURN(norm.gamma, weights.Get(prefix + ".weight", {n}));
  BT_ASSIGN_OR_RETURN(norm.beta, weights.Get(prefix + ".bias", {n}));
  norm.eps = eps;
  return norm;
}

Result<Linear> LoadLinearBias(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in,
                              bool bias, bool encoder) {
  return LoadPacked(weights, {prefix + ".weight"}, {bias ? prefix + ".bias" : std::string()}, out, in, encoder);
}

Result<Linear> LoadFusedLinearBias(const WeightSource& weights, const std::string& matrix, const std::string& bias,
                                   int64_t out, int64_t in) {
  return LoadPacked(weights, {matrix}, {bias}, out, in, /*allow_q8=*/true);
}

Result<LayerNormWeights> LoadLayerNormBias(const WeightSource& weights, const std::string& prefix, int64_t n, float eps,
                                           bool bias) {
  if (bias) return LoadLayerNorm(weights, prefix, n, eps);
  LayerNormWeights norm;
  BT_ASSIGN_OR_RETURN(norm.gamma, weights.Get(prefix + ".weight", {n}));
  norm.beta.assign(static_cast<size_t>(n), 0.0f);  // torch's LayerNorm(bias=False): no shift
  norm.eps = eps;
  return norm;
}

Result<Linear> PackLinearFromRows(const WeightSource& weights, std::vector<float> rows, std::vector<float> bias,
                                  int64_t out, int64_t in, bool encoder, const std::string& name) {
  if (bias.empty()) bias.assign(static_cast<size_t>(out), 0.0f);
  const auto n32 = static_cast<int32_t>(out), k32 = static_cast<int32_t>(in);
  Linear packed = encoder && weights.quantized() ? PackLinearQ8(rows.data(), bias.data(), n32, k32)
                                                 : PackLinearF32(rows.data(), bias.data(), n32, k32);
  if (!packed) return Status::OutOfMemory("out of memory packing '" + name + "'");
  return packed;
}

}  // namespace bt
