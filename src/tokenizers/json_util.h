// Non-throwing field access for tokenizer.json (the build has no exceptions). Every error names
// the field by its path, e.g. "model.vocab: expected an object".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace bt::tokenizers {

using Json = nlohmann::json;

// Deepest nesting of arrays/objects in `root` (a scalar is 0), computed without recursion. The
// builders of Sequence normalizers / pre-tokenizers / decoders / post-processors recurse once per
// level, so tokenizer.json is refused past kMaxTokenizerJsonDepth before any of them runs
// (tests/fuzz/FINDINGS.md F1: unbounded nesting overflowed the stack).
constexpr int kMaxTokenizerJsonDepth = 64;
inline int JsonDepth(const Json& root) {
  int deepest = 0;
  std::vector<std::pair<const Json*, int>> pending{{&root, 0}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    if (deepest > kMaxTokenizerJsonDepth) break;  // no need to measure further
    for (const Json& child : *node) pending.emplace_back(&child, depth + 1);
  }
  return deepest;
}

inline Status FieldError(const std::string& path, const std::string& what) {
  return Status::Error(path + ": " + what);
}

// Child `key` of `obj`, or nullptr when absent or null.
inline const Json* OptionalField(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

inline Result<const Json*> RequiredField(const Json& obj, const std::string& path, const char* key) {
  const Json* field = OptionalField(obj, key);
  if (field == nullptr) return FieldError(path + "." + key, "missing");
  return field;
}

// The Read* functions leave `out` untouched when the field is absent or null (it holds the
// default) and fail when the field has the wrong type.
inline Status ReadString(const Json& obj, const std::string& path, const char* key, std::string* out) {
  const Json* field = OptionalField(obj, key);
  if (field == nullptr) return Status::Ok();
  if (!field->is_string()) return FieldError(path + "." + key, "expected a string");
  *out = field->get<std::string>();
  return Status::Ok();
}

inline Status ReadBool(const Json& obj, const std::string& path, const char* key, bool* out) {
  const Json* field = OptionalField(obj, key);
  if (field == nullptr) return Status::Ok();
  if (!field->is_boolean()) return FieldError(path + "." + key, "expected true or false");
  *out = field->get<bool>();
  return Status::Ok();
}

inline Status ReadInt(const Json& obj, const std::string& path, const char* key, int64_t* out) {
  const Json* field = OptionalField(obj, key);
  if (field == nullptr) return Status::Ok();
  if (!field->is_number_integer()) return FieldError(path + "." + key, "expected an integer");
  *out = field->get<int64_t>();
  return Status::Ok();
}

inline Result<std::string> RequiredString(const Json& obj, const std::string& path, const char* key) {
  BT_ASSIGN_OR_RETURN(const Json* field, RequiredField(obj, path, key));
  if (!field->is_string()) return FieldError(path + "." + key, "expected a string");
  return field->get<std::string>();
}

}  // namespace bt::tokenizers
