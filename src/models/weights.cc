#include "models/weights.h"

#include <set>

#include "io/json_util.h"

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
        return Status::BadCheckpoint(name + ": tensor '" + tensor + "' also appears in another shard");
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

Result<const TensorView*> WeightSource::View(const std::string& name, const std::vector<int64_t>& shape) const {
  const TensorView* view = Find(name);
  if (view == nullptr) return Status::BadCheckpoint("missing tensor '" + name + "' in the checkpoint");
  if (view->shape != shape) {
    return Status::BadCheckpoint("tensor '" + name + "' has shape " + ShapeString(view->shape) + " but the config implies " +
                         ShapeString(shape));
  }
  return view;
}

Result<std::vector<float>> WeightSource::Get(const std::string& name, const std::vector<int64_t>& shape) const {
  BT_ASSIGN_OR_RETURN(const TensorView* view, View(name, shape));
  std::vector<float> values(static_cast<size_t>(view->elements()));
  BT_RETURN_IF_ERROR(DecodeToFloat32(*view, values.data()));
  return values;
}

std::vector<std::string> WeightSource::shard_names() const {
  std::vector<std::string> names;
  for (const SafetensorsFile& shard : shards_) names.push_back(shard.file_name());
  return names;
}

}  // namespace bt
