// Checkpoint conversion (`bertology convert`): rewrites a checkpoint's weights the way the engine will
// hold them, so a browser downloads no more than it keeps.
//   q8   : every tensor the engine keeps in int8 (encoder linears, word embeddings) stored as int8 with
//          its per-row scales, computed by the engine's own quantisers (QuantizeWeightRowQ8: linears
//          7-bit, in [-64, 64]; EmbeddingTable::QuantizeRow: [-127, 127]); every other tensor keeps its
//          stored bytes. Format version 2 (kBertologyQ8FormatVersion); version 1 had 8-bit linears. Which tensors: the
//          ones the loader itself reads through its int8 path (WeightUseLog), so a tied MLM decoder,
//          which the engine reads in float, keeps the word embeddings in float.
//   fp16 : every floating-point tensor rounded to float16 (to nearest even, from the float32 value the
//          engine would hold); values beyond float16's range are an error.
//   fp32 : every floating-point tensor as float32.
// The output is one model.safetensors (layout in docs/checkpoint-format.md) and a config.json (with
// quantization_config for q8). Loading a q8 conversion gives results bitwise equal to loading the
// original with dtype q8.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/config.h"
#include "io/file_store.h"
#include "io/safetensors.h"
#include "models/weights.h"

namespace bt {

enum class ConvertDType { kQ8, kF16, kF32 };

struct ConvertOptions {
  ConvertDType dtype = ConvertDType::kQ8;
  SafetensorsLimits limits;
};

// Parses {"dtype": "q8" | "fp16" | "fp32", "limits": {"max_header_bytes", "max_tensors"}}.
Result<ConvertOptions> ParseConvertOptions(const std::string& json_text);

class CheckpointConverter {
 public:
  // How one output tensor is made from its input tensor.
  enum class Kind { kCopy, kToF16, kToF32, kLinearQ8, kLinearScales, kEmbeddingQ8, kEmbeddingScales };
  struct Output {
    SafetensorsEntry entry;
    Kind kind = Kind::kCopy;
    const TensorView* source = nullptr;
    uint64_t bytes = 0;
  };

  // Reads config.json and the weights of `files` (single or sharded), loads the model as the engine
  // would (so a checkpoint the engine cannot load is an error here) and plans the output. `files`
  // must outlive the converter; nothing is consumed.
  static Result<std::unique_ptr<CheckpointConverter>> Open(const FileStore& files, const ConvertOptions& options);

  const std::string& config_json() const { return config_json_; }
  // The output model.safetensors up to its data (8-byte length + JSON header).
  const std::string& header() const { return header_; }
  // Output tensors in file order (data back to back after the header).
  const std::vector<Output>& outputs() const { return outputs_; }
  uint64_t file_bytes() const;
  // Writes the stored bytes of outputs()[i] (outputs()[i].bytes of them) into `out`.
  Status TensorBytes(size_t i, uint8_t* out) const;
  // {"dtype", "tensors": {"int8", "float16", "bfloat16", "float32", "other"}, "input_bytes", "output_bytes",
  //  "fp32_bytes"}: sizes of model.safetensors (all shards for the input; fp32_bytes = the same tensors
  //  with every float stored as float32, header excluded).
  std::string report_json() const;

 private:
  CheckpointConverter() = default;
  Status Plan(const FileStore& files);

  ConvertOptions options_;
  ModelConfig config_;
  std::unique_ptr<WeightSource> weights_;
  std::vector<Output> outputs_;
  std::string config_json_, header_;
  uint64_t input_bytes_ = 0, fp32_bytes_ = 0;
};

}  // namespace bt
