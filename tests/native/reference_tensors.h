// Reads a Hugging Face reference .safetensors (inputs as I64, outputs as F32) for parity tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bt::testing {

struct ReferenceTensor {
  std::vector<int64_t> shape;
  std::vector<float> f32;    // F32 tensors
  std::vector<int32_t> i32;  // I64 tensors narrowed
};

// Empty map + ADD_FAILURE when the file cannot be read or parsed.
std::map<std::string, ReferenceTensor> ReadReference(const std::string& path);

// max |a - b|; ADD_FAILURE on a size mismatch.
double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b, const std::string& what);

}  // namespace bt::testing
