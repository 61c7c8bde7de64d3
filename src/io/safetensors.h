// safetensors reader: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}} and the data. Every field is
// validated (sizes, offsets in range and non-overlapping, byte counts matching
// dtype × shape, with overflow checks) because the file may come from anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/file_store.h"
#include "kernels/decode.h"  // HalfToFloat

namespace bt {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

const char* DTypeName(DType dtype);
size_t DTypeSize(DType dtype);

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const FileSource* source = nullptr;  // where the bytes are read from
  uint64_t offset = 0;                 // absolute position in the file
  size_t bytes = 0;
  std::string file;           // the safetensors file it is in (for messages)
  bool check_finite = true;   // NaN / ±Inf values are refused at load (load option validate_weights)
  int64_t elements() const;
  Status ReadBytes(uint8_t* dst) const { return source->Read(offset, bytes, dst).WithContext(name); }
};

struct SafetensorsLimits {
  size_t max_header_bytes = 100u << 20;  // what the safetensors format itself allows
  size_t max_tensors = 100000;
  // Not a size limit, but a parse option of the same files: float tensors are checked for NaN and
  // ±Inf at load, in the pass that converts, packs or quantises them (load option validate_weights,
  // default true; docs/hardening.md has its cost).
  bool validate_weights = true;
};

class SafetensorsFile {
 public:
  // Reads and validates the header; `source` must outlive the returned views.
  // `file_name` is used in error messages.
  static Result<SafetensorsFile> Parse(const FileSource& source, const std::string& file_name,
                                       const SafetensorsLimits& limits = {});
  const TensorView* Find(const std::string& name) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::string& file_name() const { return file_name_; }

 private:
  std::string file_name_;
  std::map<std::string, TensorView> tensors_;
};

// Reads and decodes a floating-point tensor (F32/F16/BF16/F64) to float32 into `out`
// (tensor.elements() floats). float16 subnormals are decoded exactly, never flushed. Unless the
// view's check_finite is off, a NaN or ±Inf value (or an F64 value beyond float32's range) is an
// error naming the file, the tensor, the first bad element and its value (NonFiniteError).
Status DecodeToFloat32(const TensorView& tensor, float* out);
// Elements [first, first + count) of the tensor (row-major) only. With `f32_checked_by_caller`, F32
// values are copied unchecked: the caller checks them in the pass it makes over them anyway (the
// weight packer, the int8 quantiser) and reports NonFiniteError itself; F16/BF16/F64 values are
// still checked here, in the loop that converts them.
Status DecodeToFloat32(const TensorView& tensor, int64_t first, int64_t count, float* out,
                       bool f32_checked_by_caller = false);
// BAD_CHECKPOINT "<file>: tensor '<name>' holds NaN at element 37 (index [1, 5]); weights must be
// finite ... validate_weights: false skips this check", with the file and the tensor in its details.
Status NonFiniteError(const TensorView& tensor, int64_t flat, double value);
// The index of the first NaN / ±Inf among x[0, n), or -1 (4-wide, memory-bound).
int64_t FirstNonFinite(const float* x, int64_t n);
float BFloat16ToFloat(uint16_t bf16);
// IEEE float32 -> float16, round to nearest even (subnormals kept, >= 65520 in magnitude -> inf).
uint16_t FloatToHalf(float value);

// Writing: one tensor of a file being written, data laid out back to back in the given order.
struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};
// The start of a safetensors file: its 8-byte header length and the JSON header (with
// `metadata` as "__metadata__" when not empty), padded with spaces so the data starts 8-aligned.
// The tensors' bytes (elements x dtype size each) follow in the order of `entries`.
std::string SafetensorsHeader(const std::vector<SafetensorsEntry>& entries,
                              const std::map<std::string, std::string>& metadata);

}  // namespace bt
