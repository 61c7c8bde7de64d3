#include "io/safetensors.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include "core/thread_pool.h"
#include "io/json_util.h"

namespace bt {
namespace {

struct DTypeInfo {
  const char* name;
  DType dtype;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {"F32", DType::kF32, 4}, {"F16", DType::kF16, 2}, {"BF16", DType::kBF16, 2}, {"F64", DType::kF64, 8},
    {"I64", DType::kI64, 8}, {"I32", DType::kI32, 4}, {"I16", DType::kI16, 2},   {"I8", DType::kI8, 1},
    {"U8", DType::kU8, 1},   {"BOOL", DType::kBool, 1},
};

bool LookupDType(const std::string& name, DType* dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (name == info.name) {
      *dtype = info.dtype;
      return true;
    }
  }
  return false;
}

bool MulOverflows(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return true;
  *out = a * b;
  return false;
}

Result<TensorView> ParseEntry(const std::string& name, const Json& entry, const FileSource& source,
                              uint64_t data_start, uint64_t data_size, const std::string& where) {
  if (!entry.is_object()) return Status::BadCheckpoint(where + ": entry must be an object");
  auto dtype_it = entry.find("dtype");
  auto shape_it = entry.find("shape");
  auto offsets_it = entry.find("data_offsets");
  if (dtype_it == entry.end() || !dtype_it->is_string()) return Status::BadCheckpoint(where + ": missing string 'dtype'");
  if (shape_it == entry.end() || !shape_it->is_array()) return Status::BadCheckpoint(where + ": missing array 'shape'");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
    return Status::BadCheckpoint(where + ": 'data_offsets' must be [begin, end]");
  }
  TensorView view;
  view.name = name;
  const std::string dtype_name = dtype_it->get<std::string>();
  if (!LookupDType(dtype_name, &view.dtype)) return Status::Unsupported(where + ": unsupported dtype '" + dtype_name + "'");

  uint64_t elements = 1;
  for (const Json& dim : *shape_it) {
    if (!dim.is_number_unsigned()) return Status::BadCheckpoint(where + ": shape entries must be non-negative integers");
    uint64_t d = dim.get<uint64_t>();
    if (d > (1ull << 40) || MulOverflows(elements, d, &elements)) return Status::BadCheckpoint(where + ": shape too large");
    view.shape.push_back(static_cast<int64_t>(d));
  }
  const Json& begin_json = (*offsets_it)[0];
  const Json& end_json = (*offsets_it)[1];
  if (!begin_json.is_number_unsigned() || !end_json.is_number_unsigned()) {
    return Status::BadCheckpoint(where + ": data_offsets must be non-negative integers");
  }
  uint64_t begin = begin_json.get<uint64_t>();
  uint64_t end = end_json.get<uint64_t>();
  if (begin > end || end > data_size) {
    return Status::BadCheckpoint(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                         "] out of range (data section is " + std::to_string(data_size) + " bytes)");
  }
  uint64_t expected = 0;
  if (MulOverflows(elements, DTypeSize(view.dtype), &expected) || expected != end - begin) {
    return Status::BadCheckpoint(where + ": " + std::to_string(end - begin) + " bytes do not match dtype " + dtype_name +
                         " and its shape");
  }
  view.source = &source;
  view.offset = data_start + begin;
  view.bytes = static_cast<size_t>(end - begin);
  return view;
}

}  // namespace

const char* DTypeName(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info.name;
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info.size;
  }
  return 0;
}

int64_t TensorView::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Result<SafetensorsFile> SafetensorsFile::Parse(const FileSource& source, const std::string& file_name,
                                               const SafetensorsLimits& limits) {
  const uint64_t size = source.size();
  if (size < 8) return Status::BadCheckpoint(file_name + ": truncated safetensors file (" + std::to_string(size) + " bytes)");
  uint8_t length_bytes[8];
  BT_RETURN_IF_ERROR(source.Read(0, 8, length_bytes).WithContext(file_name));
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | length_bytes[i];
  if (header_len > size - 8) {
    return Status::BadCheckpoint(file_name + ": header length " + std::to_string(header_len) + " is beyond the file (" +
                         std::to_string(size) + " bytes); the file is truncated or not safetensors");
  }
  if (header_len > limits.max_header_bytes) {
    return Status::Limit(file_name + ": header of " + std::to_string(header_len) +
                         " bytes exceeds the limit max_header_bytes=" + std::to_string(limits.max_header_bytes))
        .WithDetails(StatusDetails::Limit("max_header_bytes", file_name));
  }
  std::string header(static_cast<size_t>(header_len), '\0');
  BT_RETURN_IF_ERROR(
      source.Read(8, header.size(), reinterpret_cast<uint8_t*>(header.data())).WithContext(file_name));
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(header, file_name + " header"));
  if (!json.is_object()) return Status::BadCheckpoint(file_name + ": header must be a JSON object");
  if (json.size() > limits.max_tensors) {
    return Status::Limit(file_name + ": " + std::to_string(json.size()) +
                         " tensors exceed the limit max_tensors=" + std::to_string(limits.max_tensors))
        .WithDetails(StatusDetails::Limit("max_tensors", file_name));
  }

  SafetensorsFile file;
  file.file_name_ = file_name;
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string where = file_name + ": tensor '" + it.key() + "'";
    BT_ASSIGN_OR_RETURN(TensorView view, ParseEntry(it.key(), it.value(), source, data_start, data_size, where));
    const uint64_t begin = view.offset;
    if (view.bytes > 0) ranges.emplace_back(begin, begin + view.bytes);
    view.file = file_name;
    view.check_finite = limits.validate_weights;
    file.tensors_.emplace(it.key(), std::move(view));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      return Status::BadCheckpoint(file_name + ": tensor data ranges overlap at byte " + std::to_string(ranges[i].first));
    }
  }
  return file;
}

const TensorView* SafetensorsFile::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

uint16_t FloatToHalf(float value) {
  const uint32_t bits = __builtin_bit_cast(uint32_t, value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf stays inf; NaN stays a (quiet) NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (abs >= 0x38800000u) {  // a normal half: drop 13 mantissa bits, ties to even, re-bias the exponent
    const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
  }
  if (abs <= 0x33000000u) return static_cast<uint16_t>(sign);  // <= 2^-25 rounds to (signed) zero
  // A subnormal half: m x 2^-24 with m = round(x / 2^-24), ties to even (m = 1024 is the smallest normal).
  const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126u - (abs >> 23);
  uint32_t m = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (m & 1u) != 0)) ++m;
  return static_cast<uint16_t>(sign | m);
}

std::string SafetensorsHeader(const std::vector<SafetensorsEntry>& entries,
                              const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const SafetensorsEntry& e : entries) {
    uint64_t bytes = DTypeSize(e.dtype);
    for (int64_t d : e.shape) bytes *= static_cast<uint64_t>(d);
    header[e.name] = {{"dtype", DTypeName(e.dtype)}, {"shape", e.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((static_cast<uint64_t>(json.size()) >> (8 * i)) & 0xffu);
  return out + json;
}

float BFloat16ToFloat(uint16_t bf16) { return __builtin_bit_cast(float, static_cast<uint32_t>(bf16) << 16); }

Status DecodeToFloat32(const TensorView& tensor, float* out) {
  return DecodeToFloat32(tensor, 0, tensor.elements(), out);
}

namespace {

// "element 4711 (index [6, 103])" for a flat index into a tensor of `shape`.
std::string ElementName(const std::vector<int64_t>& shape, int64_t flat) {
  std::string index;
  int64_t rest = flat;
  for (size_t d = shape.size(); d-- > 0;) {
    const int64_t dim = shape[d] > 0 ? shape[d] : 1;
    index = std::to_string(rest % dim) + (index.empty() ? "" : ", ") + index;
    rest /= dim;
  }
  return "element " + std::to_string(flat) + (shape.size() > 1 ? " (index [" + index + "])" : "");
}

}  // namespace

Status NonFiniteError(const TensorView& tensor, int64_t flat, double value) {
  char shown[32];
  std::snprintf(shown, sizeof(shown), "%g", value);
  const char* what = std::isnan(value) ? "NaN" : std::isinf(value) ? (value > 0 ? "+Inf" : "-Inf") : shown;
  const std::string why = std::isfinite(value) ? " (beyond float32's range)" : "";
  return Status::BadCheckpoint((tensor.file.empty() ? "" : tensor.file + ": ") + "tensor '" + tensor.name + "' holds " + what +
                       why + " at " + ElementName(tensor.shape, flat) +
                       "; weights must be finite (a corrupt or diverged checkpoint). The load option "
                       "validate_weights: false skips this check")
      .WithDetails(StatusDetails::Tensor(tensor.file, tensor.name));
}

int64_t FirstNonFinite(const float* x, int64_t n) {
  // One vector add per 4 floats: four running sums of a block stay finite unless the block holds a
  // NaN or ±Inf (weights are far from float32's range: a finite sum of 1024 values per lane cannot
  // overflow unless some |x| > 3e35, and then the exact scan of the block simply finds nothing).
  typedef float v4f __attribute__((vector_size(16)));
  constexpr int64_t kBlock = 4096;  // floats per block (16 KB)
  for (int64_t i = 0; i < n; i += kBlock) {
    const int64_t end = std::min(n, i + kBlock);
    bool suspect = true;
    if (end - i == kBlock) {
      v4f s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
      for (int64_t j = i; j < end; j += 16) {
        v4f a, b, c, d;
        std::memcpy(&a, x + j, 16);
        std::memcpy(&b, x + j + 4, 16);
        std::memcpy(&c, x + j + 8, 16);
        std::memcpy(&d, x + j + 12, 16);
        s0 += a;
        s1 += b;
        s2 += c;
        s3 += d;
      }
      const v4f s = (s0 + s1) + (s2 + s3);
      const v4f zero = s - s;  // 0 where finite, NaN where not
      suspect = !(zero[0] == 0 && zero[1] == 0 && zero[2] == 0 && zero[3] == 0);
    }
    if (!suspect) continue;
    for (int64_t j = i; j < end; ++j) {
      if (!std::isfinite(x[j])) return j;
    }
  }
  return -1;
}

namespace {

// Elements [first, first + count) of an F32 tensor, read and checked for NaN / ±Inf (the tensors no
// other pass touches: F32 word embeddings, biases, norms), 1 MB at a time: a block is checked while
// it is still in the cache from its read (a whole word-embedding table would be out of cache again).
//
// With a pool of 2+ threads and a tensor of several blocks (DistilBERT's 94 MB word embeddings) the
// checks move to a pool thread: the calling thread reads block after block (only it may read: the
// reader can be JS) and a pool thread checks them in order as they arrive — the check (~10x faster
// than the read) then costs no wall time. Until a pool thread shows up (at once on an idle machine,
// late or never on a busy one) the calling thread checks each block itself right after reading it,
// as with one thread; after its last read it checks whatever is left. Blocks are claimed for checking
// in index order and no block is claimed after a bad one is found, so the error names the first bad
// element in index order, and a NaN in a block read before a failed read wins over that failure, as
// with one thread. Every pool thread of the job checks (claiming blocks in order); the first one
// present stops the calling thread's own checks.
Status ReadCheckedF32(const TensorView& tensor, int64_t first, int64_t count, float* out) {
  constexpr int64_t kBlock = 1 << 18;  // 1 MB
  const uint64_t offset = tensor.offset + static_cast<uint64_t>(first) * 4;
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  auto block_size = [&](int64_t b) { return std::min(kBlock, count - b * kBlock); };
  auto read = [&](int64_t b) {
    return tensor.source->Read(offset + static_cast<uint64_t>(b * kBlock) * 4, static_cast<size_t>(block_size(b)) * 4,
                               reinterpret_cast<uint8_t*>(out + b * kBlock))
        .WithContext(tensor.name);
  };
  auto first_bad = [&](int64_t b) {  // flat index into [0, count) of block b's first bad element, or -1
    const int64_t bad = FirstNonFinite(out + b * kBlock, block_size(b));
    return bad < 0 ? int64_t{-1} : b * kBlock + bad;
  };
  auto error_at = [&](int64_t i) { return NonFiniteError(tensor, first + i, out[i]); };
  auto one_thread = [&]() {
    for (int64_t b = 0; b < blocks; ++b) {
      BT_RETURN_IF_ERROR(read(b));
      const int64_t bad = first_bad(b);
      if (bad >= 0) return error_at(bad);
    }
    return Status::Ok();
  };
  ThreadPool& pool = DefaultThreadPool();
  if (pool.num_threads() < 2 || blocks < 8) return one_thread();

  std::mutex mutex;  // guards the fields up to `bad`
  std::condition_variable changed;
  int64_t blocks_read = 0, next_check = 0;
  bool reader_started = false, reader_done = false, helper = false;
  int64_t bad = -1;  // the smallest bad index found (checks run in claim order; a claim is never given up)
  Status read_status = Status::Ok();
  // Claims the next read, unchecked block (-1: none, or a bad one was found); call with the lock held.
  auto claim = [&]() { return bad < 0 && next_check < blocks_read ? next_check++ : int64_t{-1}; };
  auto checked = [&](int64_t found) {  // records a check's result; call with the lock held
    if (found >= 0 && (bad < 0 || found < bad)) bad = found;
  };
  const std::thread::id caller = std::this_thread::get_id();
  pool.ParallelFor(pool.num_threads(), 1, [&](int64_t, int64_t) {
    std::unique_lock<std::mutex> lock(mutex);
    if (std::this_thread::get_id() == caller) {
      if (reader_started) return;
      reader_started = true;
      changed.notify_all();
      for (int64_t b = 0; b < blocks && bad < 0; ++b) {
        lock.unlock();
        const Status s = read(b);
        lock.lock();
        if (!s.ok()) {
          read_status = s;
          break;
        }
        ++blocks_read;
        changed.notify_all();
        if (helper) continue;
        const int64_t mine = claim();  // no pool thread yet: check it while it is in the cache
        if (mine < 0) continue;
        lock.unlock();
        const int64_t found = first_bad(mine);
        lock.lock();
        checked(found);
      }
      reader_done = true;
      changed.notify_all();
    } else {
      // Waiting for the reader cannot deadlock: the job has one part per thread and a pool thread
      // holds on to its first part, so one part is left for the calling thread, which will read.
      changed.wait(lock, [&] { return reader_started; });
      helper = true;
      for (;;) {
        changed.wait(lock, [&] { return reader_done || bad >= 0 || next_check < blocks_read; });
        if (bad >= 0 || (reader_done && next_check == blocks_read)) return;
        const int64_t mine = claim();
        lock.unlock();
        const int64_t found = first_bad(mine);
        lock.lock();
        checked(found);
      }
    }
    // The calling thread, after its reads: whatever is left.
    for (int64_t mine = claim(); mine >= 0; mine = claim()) {
      lock.unlock();
      const int64_t found = first_bad(mine);
      lock.lock();
      checked(found);
    }
  });
  // The pool has returned: every claimed block has been checked.
  if (!reader_started) return one_thread();  // defensive: the calling thread always runs a part
  for (int64_t mine = claim(); mine >= 0; mine = claim()) checked(first_bad(mine));
  if (bad >= 0) return error_at(bad);
  return read_status;
}

}  // namespace

Status DecodeToFloat32(const TensorView& tensor, int64_t first, int64_t count, float* out, bool f32_checked_by_caller) {
  if (tensor.dtype != DType::kF32 && tensor.dtype != DType::kF16 && tensor.dtype != DType::kBF16 &&
      tensor.dtype != DType::kF64) {
    std::string why = "; expected F32, F16, BF16 or F64";
    if (tensor.dtype == DType::kI8) {
      why += " (int8 weights, as `bertology convert --dtype q8` writes them, are read only for the encoder linears "
             "and word embeddings of a model loaded with dtype 'q8')";
    }
    return Status::Unsupported("tensor '" + tensor.name + "' has dtype " + DTypeName(tensor.dtype) + why)
        .WithDetails(StatusDetails::Tensor(tensor.file, tensor.name));
  }
  if (first < 0 || count < 0 || first + count > tensor.elements()) {
    return Status::BadCheckpoint("tensor '" + tensor.name + "': elements [" + std::to_string(first) + ", " +
                         std::to_string(first + count) + ") are outside its " + std::to_string(tensor.elements()));
  }
  const size_t width = tensor.dtype == DType::kF64 ? 8 : tensor.dtype == DType::kF32 ? 4 : 2;
  const uint64_t offset = tensor.offset + static_cast<uint64_t>(first) * width;
  const size_t bytes = static_cast<size_t>(count) * width;
  if (tensor.dtype == DType::kF32) {
    if (tensor.check_finite && !f32_checked_by_caller) return ReadCheckedF32(tensor, first, count, out);
    BT_RETURN_IF_ERROR(tensor.source->Read(offset, bytes, reinterpret_cast<uint8_t*>(out)).WithContext(tensor.name));
  } else {
    BT_ASSIGN_OR_RETURN(Bytes raw, Bytes::Allocate(bytes));
    BT_RETURN_IF_ERROR(tensor.source->Read(offset, bytes, raw.data()).WithContext(tensor.name));
    const uint8_t* src = raw.data();
    if (tensor.dtype == DType::kF16) {
      const auto n = static_cast<size_t>(count);
      const size_t bad = ConvertF16ToF32(src, n, out);
      if (tensor.check_finite && bad < n) return NonFiniteError(tensor, first + static_cast<int64_t>(bad), out[bad]);
      return Status::Ok();
    }
    for (int64_t i = 0; i < count; ++i) {
      if (tensor.dtype == DType::kF64) {
        double v;
        std::memcpy(&v, src + 8 * i, 8);
        // Out of float32's range is undefined for the cast; with validation it is an error.
        if (tensor.check_finite && !(std::fabs(v) <= std::numeric_limits<float>::max())) {
          return NonFiniteError(tensor, first + i, v);
        }
        out[i] = static_cast<float>(v);
      } else {
        uint16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        out[i] = BFloat16ToFloat(v);
        // exponent bits all ones: NaN or ±Inf (checked here, in the pass that decodes anyway)
        if (tensor.check_finite && (v & 0x7f80) == 0x7f80) return NonFiniteError(tensor, first + i, out[i]);
      }
    }
  }
  return Status::Ok();
}

}  // namespace bt
