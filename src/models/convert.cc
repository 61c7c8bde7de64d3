#include "models/convert.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "io/json_util.h"
#include "models/architecture.h"

namespace bt {
namespace {

bool IsFloat(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16 || dtype == DType::kF64;
}

const char* DTypeOptionName(ConvertDType dtype) {
  switch (dtype) {
    case ConvertDType::kQ8: return "q8";
    case ConvertDType::kF16: return "fp16";
    case ConvertDType::kF32: return "fp32";
  }
  return "?";
}

// The word-embedding table, by the names the architectures read it under (architecture*.cc).
bool IsWordEmbeddingTable(const std::string& name) {
  for (const char* suffix : {"word_embeddings.weight", "tok_embeddings.weight", "word_embedding.weight"}) {
    const size_t n = std::strlen(suffix);
    if (name.size() < n || name.compare(name.size() - n, n, suffix) != 0) continue;
    if (name.size() == n || name[name.size() - n - 1] == '.') return true;
  }
  return false;
}

// Rows per read when a tensor is converted row by row: about 1 MB of float32.
int64_t RowChunk(int64_t cols) { return std::max<int64_t>(1, (int64_t{1} << 18) / std::max<int64_t>(cols, 1)); }

}  // namespace

Result<ConvertOptions> ParseConvertOptions(const std::string& json_text) {
  const std::string where = "convert options";
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(json_text.empty() ? "{}" : json_text, where));
  if (!json.is_object()) return Status::InvalidArgument(where + ": must be a JSON object");
  ConvertOptions options;
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() != "dtype" && it.key() != "limits") {
      return Status::InvalidArgument(where + ": unknown option '" + it.key() + "' (dtype, limits)");
    }
  }
  BT_ASSIGN_OR_RETURN(std::string dtype, JsonString(json, "dtype", "", where));
  if (dtype == "q8" || dtype == "int8") {
    options.dtype = ConvertDType::kQ8;
  } else if (dtype == "fp16" || dtype == "float16") {
    options.dtype = ConvertDType::kF16;
  } else if (dtype == "fp32" || dtype == "float32") {
    options.dtype = ConvertDType::kF32;
  } else {
    return Status::InvalidArgument(where + ": dtype '" + dtype + "' is not supported (q8, fp16 or fp32)");
  }
  auto limits = json.find("limits");
  if (limits != json.end() && !limits->is_null()) {
    const std::string lw = where + ".limits";
    BT_ASSIGN_OR_RETURN(int64_t header, JsonInt(*limits, "max_header_bytes",
                                                static_cast<int64_t>(options.limits.max_header_bytes), lw));
    BT_ASSIGN_OR_RETURN(int64_t tensors, JsonInt(*limits, "max_tensors",
                                                 static_cast<int64_t>(options.limits.max_tensors), lw));
    if (header <= 0 || tensors <= 0) return Status::InvalidArgument(lw + ": limits must be positive");
    options.limits.max_header_bytes = static_cast<size_t>(header);
    options.limits.max_tensors = static_cast<size_t>(tensors);
  }
  return options;
}

Result<std::unique_ptr<CheckpointConverter>> CheckpointConverter::Open(const FileStore& files,
                                                                      const ConvertOptions& options) {
  std::unique_ptr<CheckpointConverter> converter(new CheckpointConverter());
  converter->options_ = options;
  BT_RETURN_IF_ERROR(converter->Plan(files));
  return converter;
}

Status CheckpointConverter::Plan(const FileStore& files) {
  if (!files.Has("config.json")) return Status::FileNotFound("missing config.json");
  BT_ASSIGN_OR_RETURN(std::string config_text, files.ReadText("config.json"));
  BT_ASSIGN_OR_RETURN(config_, ParseModelConfig(config_text));
  const char* again = ": convert the original checkpoint instead";
  if (config_.stored_dtype == "q8") {
    return Status::InvalidArgument(std::string("the checkpoint is already converted to int8 (config.json quantization_config)") +
                         again);
  }
  BT_ASSIGN_OR_RETURN(WeightSource opened, WeightSource::Open(files, options_.limits));
  weights_ = std::make_unique<WeightSource>(std::move(opened));
  for (const TensorView* t : weights_->tensors()) {
    if (t->dtype == DType::kI8 && weights_->Has(WeightSource::ScaleName(t->name))) {
      return Status::InvalidArgument("tensor '" + t->name + "' is already stored in int8 with its scales" + again);
    }
  }
  for (const std::string& shard : weights_->shard_names()) input_bytes_ += files.Find(shard)->size();

  // Load the model as the engine does with dtype q8, recording which tensors its int8 path reads.
  WeightUseLog log;
  weights_->set_quantized(true);
  weights_->set_use_log(&log);
  {
    Result<ModelParts> parts = LoadModelParts(config_, *weights_);
    if (!parts.ok()) return parts.status();
  }
  weights_->set_use_log(nullptr);

  std::vector<const TensorView*> inputs = weights_->tensors();
  std::sort(inputs.begin(), inputs.end(), [](const TensorView* a, const TensorView* b) { return a->name < b->name; });
  int int8_tensors = 0;
  for (const TensorView* t : inputs) {
    const bool is_float = IsFloat(t->dtype);
    fp32_bytes_ += is_float ? static_cast<uint64_t>(t->elements()) * 4 : t->bytes;
    Output out{{t->name, t->dtype, t->shape}, Kind::kCopy, t, t->bytes};
    if (options_.dtype == ConvertDType::kQ8) {
      auto use = log.find(t->name);
      if (use == log.end() || !is_float || t->shape.size() != 2 || use->second.reads == 0) {
        outputs_.push_back(out);
        continue;
      }
      const WeightUse& u = use->second;
      Kind weights_kind, scales_kind;
      if (u.reads == u.q8_linear && u.q8_embedding == 0) {
        weights_kind = Kind::kLinearQ8, scales_kind = Kind::kLinearScales;
      } else if (u.reads == u.q8_embedding && u.q8_linear == 0) {
        weights_kind = Kind::kEmbeddingQ8, scales_kind = Kind::kEmbeddingScales;
      } else {  // also read in float (e.g. word embeddings tied to an MLM decoder): stays as stored
        outputs_.push_back(out);
        continue;
      }
      const int64_t rows = t->shape[0];
      outputs_.push_back({{t->name, DType::kI8, t->shape}, weights_kind, t, static_cast<uint64_t>(t->elements())});
      outputs_.push_back({{WeightSource::ScaleName(t->name), DType::kF32, {rows}}, scales_kind, t,
                          static_cast<uint64_t>(rows) * 4});
      ++int8_tensors;
    } else if (is_float && options_.dtype == ConvertDType::kF16 && t->dtype != DType::kF16) {
      outputs_.push_back({{t->name, DType::kF16, t->shape}, Kind::kToF16, t, static_cast<uint64_t>(t->elements()) * 2});
    } else if (is_float && options_.dtype == ConvertDType::kF32 && t->dtype != DType::kF32) {
      outputs_.push_back({{t->name, DType::kF32, t->shape}, Kind::kToF32, t, static_cast<uint64_t>(t->elements()) * 4});
    } else {
      outputs_.push_back(out);
    }
  }
  std::set<std::string> names;
  for (const Output& o : outputs_) {
    if (!names.insert(o.entry.name).second) {
      return Status::BadCheckpoint("tensor '" + o.entry.name + "' would be written twice (the checkpoint already has a tensor "
                           "of that name beside '" + o.source->name + "')");
    }
  }
  // Widest dtypes first, so every tensor's data is aligned to its element size; the word-embedding table
  // last among its width (the file's last data when it is the narrowest): a remote load can then start
  // before the table has downloaded, fetching the rows it needs (js/sources/progressive.js).
  std::stable_sort(outputs_.begin(), outputs_.end(), [](const Output& a, const Output& b) {
    const size_t wa = DTypeSize(a.entry.dtype), wb = DTypeSize(b.entry.dtype);
    if (wa != wb) return wa > wb;
    return !IsWordEmbeddingTable(a.entry.name) && IsWordEmbeddingTable(b.entry.name);
  });
  std::vector<SafetensorsEntry> entries;
  for (const Output& o : outputs_) entries.push_back(o.entry);
  header_ = SafetensorsHeader(entries, {{"format", "pt"},
                                        {"bertology.dtype", DTypeOptionName(options_.dtype)},
                                        {"bertology.format_version", std::to_string(kBertologyQ8FormatVersion)}});

  BT_ASSIGN_OR_RETURN(Json config, ParseJson(config_text, "config.json"));
  if (options_.dtype == ConvertDType::kQ8) {
    config["quantization_config"] = {
        {"quant_method", kBertologyQuantMethod},
        {"format", "q8"},
        {"format_version", kBertologyQ8FormatVersion},
        {"weights", "int8, symmetric, one float32 scale per row in <name>_scale; linears 7-bit in [-64, 64], "
                    "word embeddings in [-127, 127]"},
        {"int8_tensors", int8_tensors},
    };
  } else {
    const char* name = options_.dtype == ConvertDType::kF16 ? "float16" : "float32";
    for (const char* key : {"torch_dtype", "dtype"}) {
      if (config.contains(key)) config[key] = name;
    }
  }
  config_json_ = config.dump(2) + "\n";
  return Status::Ok();
}

uint64_t CheckpointConverter::file_bytes() const {
  uint64_t total = header_.size();
  for (const Output& o : outputs_) total += o.bytes;
  return total;
}

Status CheckpointConverter::TensorBytes(size_t i, uint8_t* out) const {
  if (i >= outputs_.size()) return Status::InvalidArgument("convert: tensor index out of range");
  const Output& o = outputs_[i];
  const TensorView& src = *o.source;
  if (o.kind == Kind::kCopy) return src.ReadBytes(out);
  if (o.kind == Kind::kToF32) return DecodeToFloat32(src, reinterpret_cast<float*>(out));
  const int64_t cols = src.shape.empty() ? 1 : src.shape.back();
  const int64_t rows = cols == 0 ? 0 : src.elements() / cols;
  const int64_t chunk = RowChunk(cols);
  std::vector<float> floats(static_cast<size_t>(std::min(chunk, rows) * cols));
  std::vector<int8_t> q(o.kind == Kind::kToF16 ? 0 : static_cast<size_t>(cols));
  for (int64_t row0 = 0; row0 < rows; row0 += chunk) {
    const int64_t count = std::min(chunk, rows - row0);
    BT_RETURN_IF_ERROR(DecodeToFloat32(src, row0 * cols, count * cols, floats.data()));
    for (int64_t r = 0; r < count; ++r) {
      const float* row = floats.data() + r * cols;
      const int64_t at = row0 + r;
      float scale = 0.0f;
      switch (o.kind) {
        case Kind::kToF16:
          for (int64_t j = 0; j < cols; ++j) {
            const uint16_t half = FloatToHalf(row[j]);
            if ((half & 0x7fffu) == 0x7c00u && std::isfinite(row[j])) {
              return Status::InvalidArgument("tensor '" + src.name + "': value " + std::to_string(row[j]) +
                                   " is beyond float16's range (|x| < 65520): convert with dtype fp32 or q8");
            }
            std::memcpy(out + 2 * (at * cols + j), &half, 2);
          }
          break;
        case Kind::kLinearQ8:
        case Kind::kLinearScales:
          QuantizeWeightRowQ8(row, static_cast<int32_t>(cols), q.data(), &scale);
          break;
        default:
          EmbeddingTable::QuantizeRow(row, static_cast<int32_t>(cols), q.data(), &scale);
      }
      if (o.kind != Kind::kToF16 && !std::isfinite(scale)) {
        return Status::BadCheckpoint("tensor '" + src.name + "': row " + std::to_string(at) +
                             " holds an infinite or NaN value, which int8 cannot store: convert with dtype fp32 or fp16")
            .WithDetails(StatusDetails::Tensor(src.file, src.name));
      }
      if (o.kind == Kind::kLinearQ8 || o.kind == Kind::kEmbeddingQ8) {
        std::memcpy(out + at * cols, q.data(), static_cast<size_t>(cols));
      } else if (o.kind != Kind::kToF16) {
        std::memcpy(out + 4 * at, &scale, 4);
      }
    }
  }
  return Status::Ok();
}

std::string CheckpointConverter::report_json() const {
  int int8 = 0, f16 = 0, bf16 = 0, f32 = 0, other = 0;
  for (const Output& o : outputs_) {
    if (o.kind == Kind::kLinearScales || o.kind == Kind::kEmbeddingScales) continue;
    switch (o.entry.dtype) {
      case DType::kI8: ++int8; break;
      case DType::kF16: ++f16; break;
      case DType::kBF16: ++bf16; break;
      case DType::kF32: ++f32; break;
      default: ++other;
    }
  }
  const Json report = {
      {"dtype", DTypeOptionName(options_.dtype)},
      {"tensors", {{"int8", int8}, {"float16", f16}, {"bfloat16", bf16}, {"float32", f32}, {"other", other}}},
      {"input_bytes", input_bytes_},
      {"output_bytes", file_bytes()},
      {"fp32_bytes", fp32_bytes_},
  };
  return report.dump();
}

}  // namespace bt
