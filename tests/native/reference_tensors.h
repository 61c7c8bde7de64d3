// Reads a Hugging Face reference .safetensors (inputs as I64, outputs as F32) for parity tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/model.h"

namespace bt::testing {

struct ReferenceTensor {
  std::vector<int64_t> shape;
  std::vector<float> f32;    // F32 tensors
  std::vector<int32_t> i32;  // I64 tensors narrowed
};

// Empty map + ADD_FAILURE when the file cannot be read or parsed.
std::map<std::string, ReferenceTensor> ReadReference(const std::string& path);

// The reference's inputs as a forward request: input_ids, attention_mask and, when present, token_type_ids
// and task_type_ids.
ForwardRequest ReferenceRequest(const std::map<std::string, ReferenceTensor>& ref);

// max |a - b|; ADD_FAILURE on a size mismatch.
double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b, const std::string& what);

}  // namespace bt::testing
