// WeightSource: every tensor of a checkpoint, from `model.safetensors` or from the shards
// listed in `model.safetensors.index.json`, looked up by Hugging Face name and decoded to
// float32 with its shape checked against what the config implies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/file_store.h"
#include "io/safetensors.h"

namespace bt {

class WeightSource {
 public:
  // The store must outlive the WeightSource (views point into its buffers).
  static Result<WeightSource> Open(const FileStore& store, const SafetensorsLimits& limits = {});

  // With `quantized`, encoder linears and word embeddings are stored as int8 (dtype "q8").
  void set_quantized(bool quantized) { quantized_ = quantized; }
  bool quantized() const { return quantized_; }

  const TensorView* Find(const std::string& name) const;
  bool Has(const std::string& name) const { return Find(name) != nullptr; }
  // Decodes `name` to float32, checking that its shape equals `shape`.
  Result<std::vector<float>> Get(const std::string& name, const std::vector<int64_t>& shape) const;
  // The tensor `name`, checking that its shape equals `shape` (read it with DecodeToFloat32).
  Result<const TensorView*> View(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<std::string> shard_names() const;

 private:
  std::vector<SafetensorsFile> shards_;
  bool quantized_ = false;
};

}  // namespace bt
