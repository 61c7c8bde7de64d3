#include "models/weights.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "io/config.h"
#include "io/json_util.h"
#include "kernels/decode.h"

namespace bt {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Result<SafetensorsFile> ParseShard(const FileStore& store, const std::string& name, const SafetensorsLimits& limits) {
  const FileSource* source = store.Find(name);
  if (source == nullptr) return Status::FileNotFound("missing weights file '" + name + "'");
  return SafetensorsFile::Parse(*source, name, limits);
}

// The part holding row `row` of `parts` stacked along their rows (each [rows_i, k]), and the row in it;
// false past the end.
bool PartOfRow(const std::vector<const TensorView*>& parts, int64_t row, size_t* part, int64_t* in_part) {
  for (size_t p = 0; p < parts.size(); ++p) {
    if (row < parts[p]->shape[0]) {
      *part = p;
      *in_part = row;
      return true;
    }
    row -= parts[p]->shape[0];
  }
  return false;
}

// The error for row `row` (of `parts` stacked) when its k values `w` hold a NaN or ±Inf: the part's
// file and name and the element's flat index in the part; Ok when they do not (a false alarm).
Status NonFiniteRow(const std::vector<const TensorView*>& parts, int64_t row, int64_t k, const float* w) {
  const int64_t bad = FirstNonFinite(w, k);
  size_t part = 0;
  int64_t in_part = 0;
  if (bad < 0 || !PartOfRow(parts, row, &part, &in_part)) return Status::Ok();
  return NonFiniteError(*parts[part], in_part * k + bad, w[bad]);
}

// Whether the packer or quantiser must check the F32 values of `view` (validate_weights): other
// dtypes are checked as they are converted.
bool CheckedByCaller(const TensorView& view) { return view.check_finite && view.dtype == DType::kF32; }

Result<std::vector<std::string>> ShardsFromIndex(const FileStore& store) {
  const std::string index_name = "model.safetensors.index.json";
  BT_ASSIGN_OR_RETURN(std::string index, store.ReadText(index_name));
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(index, index_name));
  auto map = json.is_object() ? json.find("weight_map") : json.end();
  if (map == json.end() || !map->is_object()) return Status::BadCheckpoint(index_name + ": missing object 'weight_map'");
  std::set<std::string> files;
  for (const Json& file : *map) {
    if (!file.is_string()) return Status::BadCheckpoint(index_name + ": weight_map values must be file names");
    files.insert(file.get<std::string>());
  }
  if (files.empty()) return Status::BadCheckpoint(index_name + ": weight_map is empty");
  return std::vector<std::string>(files.begin(), files.end());
}

// Rows [row0, row0 + count) of the F32 scales of an int8 tensor, each finite and >= 0.
Status ReadScales(const TensorView& scale, int64_t row0, int64_t count, float* scales) {
  BT_RETURN_IF_ERROR(DecodeToFloat32(scale, row0, count, scales));
  for (int64_t r = 0; r < count; ++r) {
    if (!std::isfinite(scales[r]) || scales[r] < 0.0f) {
      return Status::BadCheckpoint("tensor '" + scale.name + "': the scale of row " + std::to_string(row0 + r) + " is " +
                           std::to_string(scales[r]) + " (scales must be finite and >= 0)")
          .WithDetails(StatusDetails::Tensor(scale.file, scale.name));
    }
  }
  return Status::Ok();
}

// Rows [row0, row0 + count) of the int8 tensor `view`, read into q, must lie in [-max_abs, max_abs].
Status CheckInt8Range(const TensorView& view, const int8_t* q, int64_t row0, int64_t count, int32_t max_abs) {
  const int64_t cols = view.shape[1];
  const auto n = static_cast<size_t>(count * cols);
  const size_t at = FindInt8OutOfRange(q, n, max_abs);
  if (at < n) {
    const std::string range = "[-" + std::to_string(max_abs) + ", " + std::to_string(max_abs) + "]";
    return Status::BadCheckpoint("tensor '" + view.name + "': row " + std::to_string(row0 + static_cast<int64_t>(at) / std::max<int64_t>(cols, 1)) +
                         " holds " + std::to_string(q[at]) + " (int8 " +
                         (max_abs == kQ8WeightMax ? "linear weights are 7-bit, symmetric, in " : "weights are symmetric, in ") +
                         range + ")")
        .WithDetails(StatusDetails::Tensor(view.file, view.name));
  }
  return Status::Ok();
}

}  // namespace

Result<WeightSource> WeightSource::Open(const FileStore& store, const SafetensorsLimits& limits) {
  std::vector<std::string> names;
  if (store.Has("model.safetensors")) {
    names.push_back("model.safetensors");
  } else if (store.Has("model.safetensors.index.json")) {
    BT_ASSIGN_OR_RETURN(names, ShardsFromIndex(store));
  } else {
    return Status::FileNotFound("no weights: expected model.safetensors or model.safetensors.index.json");
  }
  WeightSource source;
  for (const std::string& name : names) {
    BT_ASSIGN_OR_RETURN(SafetensorsFile shard, ParseShard(store, name, limits));
    for (const auto& [tensor, view] : shard.tensors()) {
      if (source.Find(tensor) != nullptr) {
        return Status::BadCheckpoint(name + ": tensor '" + tensor + "' also appears in another shard")
            .WithDetails(StatusDetails::Tensor(name, tensor));
      }
    }
    source.shards_.push_back(std::move(shard));
  }
  return source;
}

const TensorView* WeightSource::Find(const std::string& name) const {
  for (const SafetensorsFile& shard : shards_) {
    if (const TensorView* view = shard.Find(name)) return view;
  }
  return nullptr;
}

std::vector<const TensorView*> WeightSource::tensors() const {
  std::vector<const TensorView*> all;
  for (const SafetensorsFile& shard : shards_) {
    for (const auto& [name, view] : shard.tensors()) all.push_back(&view);
  }
  return all;
}

Status WeightSource::MissingTensor(const std::string& name) const {
  // The file at fault when there is one (a sharded checkpoint does not say which shard should hold it).
  const std::string file = shards_.size() == 1 ? shards_.front().file_name() : "";
  return Status::BadCheckpoint("missing tensor '" + name + "' in the checkpoint")
      .WithDetails(StatusDetails::Tensor(file, name));
}

Result<const TensorView*> WeightSource::View(const std::string& name, const std::vector<int64_t>& shape) const {
  Note(name, &WeightUse::reads);
  const TensorView* view = Find(name);
  if (view == nullptr) return MissingTensor(name);
  if (deferred_ && deferred_->name == name) {
    return Status::Unsupported("progressive loading: tensor '" + name + "' (the word embeddings, whose rows download "
                               "after the load) is also read whole at load (e.g. a masked-LM decoder tied to it); load "
                               "this model once its weights file is complete")
        .WithDetails(StatusDetails::Tensor(view->file, name));
  }
  if (view->shape != shape) {
    return Status::BadCheckpoint("tensor '" + name + "' has shape " + ShapeString(view->shape) + " but the config implies " +
                         ShapeString(shape))
        .WithDetails(StatusDetails::Tensor(view->file, name));
  }
  return view;
}

Result<std::vector<float>> WeightSource::Get(const std::string& name, const std::vector<int64_t>& shape) const {
  BT_ASSIGN_OR_RETURN(const TensorView* view, View(name, shape));
  std::vector<float> values(static_cast<size_t>(view->elements()));
  BT_RETURN_IF_ERROR(DecodeToFloat32(*view, values.data()));
  return values;
}

Result<const TensorView*> WeightSource::Int8Scales(const TensorView& view) const {
  const int64_t rows = view.shape.empty() ? 0 : view.shape[0];
  const std::string scale_name = ScaleName(view.name);
  const TensorView* scale = Find(scale_name);
  if (scale == nullptr) {
    return Status::BadCheckpoint("tensor '" + view.name + "' is stored in int8 but its scales '" + scale_name + "' are missing")
        .WithDetails(StatusDetails::Tensor(view.file, scale_name));
  }
  if (scale->dtype != DType::kF32) {
    return Status::BadCheckpoint("tensor '" + scale_name + "' has dtype " + DTypeName(scale->dtype) +
                         "; the scales of int8 weights must be F32")
        .WithDetails(StatusDetails::Tensor(scale->file, scale_name));
  }
  if (scale->shape != std::vector<int64_t>{rows}) {
    return Status::BadCheckpoint("tensor '" + scale_name + "' has shape " + ShapeString(scale->shape) + " but '" + view.name +
                         "' has " + std::to_string(rows) + " rows: expected [" + std::to_string(rows) + "]")
        .WithDetails(StatusDetails::Tensor(scale->file, scale_name));
  }
  return scale;
}

Status WeightSource::ReadInt8Rows(const TensorView& view, int64_t row0, int64_t count, int8_t* q, float* scales,
                                  int32_t max_abs) const {
  const std::string where = "tensor '" + view.name + "'";
  if (view.dtype != DType::kI8 || view.shape.size() != 2) {
    return Status::BadCheckpoint(where + " must be a 2-D I8 matrix to be read as int8 rows")
        .WithDetails(StatusDetails::Tensor(view.file, view.name));
  }
  const int64_t rows = view.shape[0], cols = view.shape[1];
  if (row0 < 0 || count < 0 || row0 + count > rows) {
    return Status::Internal(where + ": rows [" + std::to_string(row0) + ", " + std::to_string(row0 + count) +
                         ") are outside its " + std::to_string(rows));
  }
  BT_ASSIGN_OR_RETURN(const TensorView* scale, Int8Scales(view));
  BT_RETURN_IF_ERROR(view.source->Read(view.offset + static_cast<uint64_t>(row0 * cols), static_cast<size_t>(count * cols),
                                       reinterpret_cast<uint8_t*>(q))
                         .WithContext(view.name));
  BT_RETURN_IF_ERROR(ReadScales(*scale, row0, count, scales));
  return CheckInt8Range(view, q, row0, count, max_abs);
}

F32RowReader WeightSource::F32Rows(const std::vector<const TensorView*>& parts, int64_t k, Status* status) const {
  F32RowReader reader;
  reader.rows = [parts, k, status](int32_t row0, int32_t count, float* out) {
    for (int32_t done = 0; done < count;) {
      size_t p = 0;
      int64_t in_part = 0;
      if (!PartOfRow(parts, static_cast<int64_t>(row0) + done, &p, &in_part)) {
        *status = Status::Internal("tensor '" + parts.front()->name + "': row " + std::to_string(row0 + done) + " is out of range");
        return false;
      }
      const int32_t run = static_cast<int32_t>(std::min<int64_t>(count - done, parts[p]->shape[0] - in_part));
      *status = DecodeToFloat32(*parts[p], in_part * k, static_cast<int64_t>(run) * k, out + static_cast<size_t>(done) * k,
                                /*f32_checked_by_caller=*/true);
      if (!status->ok()) return false;
      done += run;
    }
    return true;
  };
  if (std::any_of(parts.begin(), parts.end(), [](const TensorView* part) { return CheckedByCaller(*part); })) {
    reader.on_nonfinite = [parts, k, status](int32_t row0, int32_t count, const float* w) {
      for (int32_t i = 0; i < count; ++i) {
        *status = NonFiniteRow(parts, static_cast<int64_t>(row0) + i, k, w + static_cast<size_t>(i) * k);
        if (!status->ok()) return false;
      }
      return true;  // a false alarm (a running sum overflowed)
    };
  }
  return reader;
}

Q8WeightRowSource WeightSource::Q8Rows(const std::vector<const TensorView*>& parts, int64_t k, Status* status) const {
  for (const TensorView* part : parts) Note(part->name, &WeightUse::q8_linear);
  return [this, parts, k, status, floats = std::vector<float>()](int32_t row0, int32_t count, int8_t* q,
                                                                 float* scales) mutable {
    int64_t part_start = 0;
    size_t p = 0;
    for (int32_t done = 0; done < count;) {
      const int64_t row = static_cast<int64_t>(row0) + done;
      while (p < parts.size() && row >= part_start + parts[p]->shape[0]) part_start += parts[p++]->shape[0];
      if (p == parts.size()) {
        *status = Status::Internal("tensor '" + parts.front()->name + "': row " + std::to_string(row) + " is out of range");
        return false;
      }
      const TensorView& part = *parts[p];
      const int64_t in_part = row - part_start;
      const int32_t run = static_cast<int32_t>(std::min<int64_t>(count - done, part.shape[0] - in_part));
      int8_t* q_run = q + static_cast<size_t>(done) * k;
      float* scales_run = scales + done;
      if (part.dtype == DType::kI8) {
        // Format 1 (8-bit linears): read in [-127, 127], then narrowed in place (NarrowRowToQ8Weights reads
        // a row whole before writing it) — close to, not bitwise, a fresh conversion's 7-bit rows.
        const bool eight_bit = stored_q8_format_ == kBertologyQ8FormatVersion8BitLinears;
        *status = ReadInt8Rows(part, in_part, run, q_run, scales_run, eight_bit ? 127 : kQ8WeightMax);
        for (int32_t i = 0; eight_bit && status->ok() && i < run; ++i) {
          int8_t* row = q_run + static_cast<size_t>(i) * k;
          NarrowRowToQ8Weights(row, scales_run[i], static_cast<int32_t>(k), row, scales_run + i);
        }
      } else {
        floats.resize(static_cast<size_t>(run) * k);
        *status = DecodeToFloat32(part, in_part * k, static_cast<int64_t>(run) * k, floats.data(),
                                  /*f32_checked_by_caller=*/true);
        for (int32_t i = 0; status->ok() && i < run; ++i) {
          const float* row = floats.data() + static_cast<size_t>(i) * k;
          QuantizeWeightRowQ8(row, static_cast<int32_t>(k), q_run + static_cast<size_t>(i) * k, scales_run + i);
          // The row's scale (max |w| / 64, NaN for a NaN) is finite iff every value is: the check of
          // F32 values, in the pass that quantises them.
          if (CheckedByCaller(part) && !std::isfinite(scales_run[i])) {
            const int64_t bad = FirstNonFinite(row, k);
            *status = NonFiniteError(part, (in_part + i) * k + bad, row[bad]);
          }
        }
      }
      if (!status->ok()) return false;
      done += run;
    }
    return true;
  };
}

Result<EmbeddingTable> WeightSource::Embeddings(const std::string& name, int64_t rows, int64_t width) const {
  BT_ASSIGN_OR_RETURN(const TensorView* view, View(name, {rows, width}));
  const auto r32 = static_cast<int32_t>(rows), w32 = static_cast<int32_t>(width);
  if (view->dtype == DType::kI8) {
    if (!quantized_) {
      return Status::InvalidArgument("tensor '" + name + "' is stored in int8 (a checkpoint converted by `bertology convert "
                           "--dtype q8`): load the model with dtype 'q8'");
    }
    Note(name, &WeightUse::q8_embedding);
    if (defer_embeddings_) {  // only the scales now (checked as a full load checks them), the rows later
      EmbeddingTable table = EmbeddingTable::Pending(r32, w32, /*quantized=*/true);
      BT_ASSIGN_OR_RETURN(const TensorView* scale, Int8Scales(*view));
      BT_RETURN_IF_ERROR(ReadScales(*scale, 0, rows, table.scales()));
      deferred_ = *view;
      return table;
    }
    EmbeddingTable table = EmbeddingTable::Int8Rows(r32, w32);
    BT_RETURN_IF_ERROR(ReadInt8Rows(*view, 0, rows, table.row_q8(0), table.scales(), 127));
    return table;
  }
  if (defer_embeddings_) {
    // The dtype is checked now, as a full load would (DecodeToFloat32 refuses what it cannot decode).
    const DType d = view->dtype;
    if (d != DType::kF32 && d != DType::kF16 && d != DType::kBF16 && d != DType::kF64) {
      BT_RETURN_IF_ERROR(DecodeToFloat32(*view, 0, 0, nullptr));  // its error for that dtype (reads nothing)
    }
    if (quantized_) Note(name, &WeightUse::q8_embedding);
    deferred_ = *view;
    return EmbeddingTable::Pending(r32, w32, quantized_);
  }
  // new float[] leaves the buffer uninitialised: the read below writes every element.
  std::unique_ptr<float[]> values(new float[static_cast<size_t>(rows * width)]);
  if (!quantized_) {
    // float32 rows are kept as read: no other pass touches them, so they are checked as they are read
    // (DecodeToFloat32: a 4-wide running sum per block just read, still in cache).
    BT_RETURN_IF_ERROR(DecodeToFloat32(*view, values.get()));
    return EmbeddingTable::FromF32(std::move(values), r32, w32);
  }
  // int8 rows: the quantiser's scale is the finite check of an F32 row (NaN for NaN or ±Inf).
  Note(name, &WeightUse::q8_embedding);
  BT_RETURN_IF_ERROR(DecodeToFloat32(*view, 0, rows * width, values.get(), /*f32_checked_by_caller=*/true));
  EmbeddingTable table = EmbeddingTable::Int8Rows(r32, w32);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = values.get() + static_cast<size_t>(r * width);
    float* scale = table.scales() + r;
    EmbeddingTable::QuantizeRow(row, w32, table.row_q8(static_cast<int32_t>(r)), scale);
    if (CheckedByCaller(*view) && !std::isfinite(*scale)) {
      const int64_t bad = FirstNonFinite(row, width);
      return NonFiniteError(*view, r * width + bad, row[bad]);
    }
  }
  return table;
}

Status FillEmbeddingRows(const TensorView& view, int64_t first, int64_t count, EmbeddingTable* table) {
  const int64_t rows = table->rows(), width = table->width();
  if (first < 0 || count < 0 || first > rows || count > rows - first) {
    return Status::InvalidArgument("fillWordEmbeddings: rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
                                   ") are outside the table's " + std::to_string(rows));
  }
  std::vector<float> floats;
  constexpr int64_t kChunkRows = 256;  // float rows decoded at a time before they are quantised
  for (int64_t r = first; r < first + count;) {
    if (table->present(static_cast<int32_t>(r))) {
      ++r;
      continue;
    }
    int64_t n = 1;  // a run of pending rows
    while (r + n < first + count && n < kChunkRows && !table->present(static_cast<int32_t>(r + n))) ++n;
    const auto r32 = static_cast<int32_t>(r);
    if (view.dtype == DType::kI8) {
      int8_t* q = table->row_q8(r32);
      BT_RETURN_IF_ERROR(view.source->Read(view.offset + static_cast<uint64_t>(r * width), static_cast<size_t>(n * width),
                                           reinterpret_cast<uint8_t*>(q))
                             .WithContext(view.name));
      BT_RETURN_IF_ERROR(CheckInt8Range(view, q, r, n, 127));
    } else if (!table->quantized()) {
      BT_RETURN_IF_ERROR(DecodeToFloat32(view, r * width, n * width, table->row_f32(r32)));
    } else {  // as Embeddings quantises a float table: QuantizeRow, whose scale is the F32 finite check
      floats.resize(static_cast<size_t>(n * width));
      BT_RETURN_IF_ERROR(DecodeToFloat32(view, r * width, n * width, floats.data(), /*f32_checked_by_caller=*/true));
      for (int64_t i = 0; i < n; ++i) {
        const float* row = floats.data() + static_cast<size_t>(i * width);
        float* scale = table->scales() + r + i;
        EmbeddingTable::QuantizeRow(row, static_cast<int32_t>(width), table->row_q8(static_cast<int32_t>(r + i)), scale);
        if (CheckedByCaller(view) && !std::isfinite(*scale)) {
          const int64_t bad = FirstNonFinite(row, width);
          return NonFiniteError(view, (r + i) * width + bad, row[bad]);
        }
      }
    }
    table->MarkPresent(r32, static_cast<int32_t>(n));
    r += n;
  }
  return Status::Ok();
}

std::vector<std::string> WeightSource::shard_names() const {
  std::vector<std::string> names;
  for (const SafetensorsFile& shard : shards_) names.push_back(shard.file_name());
  return names;
}

}  // namespace bt
