#include "io/json_util.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace bt {
namespace {

Status WrongType(const std::string& path, const char* key, const char* expected) {
  return FieldError(path + "." + key, std::string("expected ") + expected);
}

}  // namespace

Result<Json> ParseJson(std::string_view text, const std::string& what) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::BadCheckpoint(what + ": invalid JSON");
  return json;
}

int JsonDepth(const Json& root) {
  int deepest = 0;
  std::vector<std::pair<const Json*, int>> pending{{&root, 0}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    if (deepest > kMaxJsonDepth) break;  // no need to measure further
    for (const Json& child : *node) pending.emplace_back(&child, depth + 1);
  }
  return deepest;
}

Status FieldError(const std::string& path, const std::string& what) { return Status::BadCheckpoint(path + ": " + what); }

const Json* OptionalField(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Result<const Json*> RequiredField(const Json& object, const std::string& path, const char* key) {
  const Json* field = OptionalField(object, key);
  if (field == nullptr) return FieldError(path + "." + key, "missing");
  return field;
}

Result<int64_t> JsonInt(const Json& object, const char* key, int64_t fallback, const std::string& path) {
  const Json* field = OptionalField(object, key);
  if (field == nullptr) return fallback;
  if (field->is_number_integer()) return field->get<int64_t>();
  if (field->is_number_float()) {
    double value = field->get<double>();
    // Fuzzing (tests/fuzz/FINDINGS.md F3): converting a double outside int64's range (1e300) is
    // undefined behaviour, so the range is checked first; NaN fails both comparisons.
    if (value >= -0x1p63 && value < 0x1p63 && value == static_cast<double>(static_cast<int64_t>(value))) {
      return static_cast<int64_t>(value);
    }
  }
  return WrongType(path, key, "an integer");
}

Result<double> JsonNumber(const Json& object, const char* key, double fallback, const std::string& path) {
  const Json* field = OptionalField(object, key);
  if (field == nullptr) return fallback;
  if (!field->is_number()) return WrongType(path, key, "a number");
  return field->get<double>();
}

Result<bool> JsonBool(const Json& object, const char* key, bool fallback, const std::string& path) {
  const Json* field = OptionalField(object, key);
  if (field == nullptr) return fallback;
  if (!field->is_boolean()) return WrongType(path, key, "true or false");
  return field->get<bool>();
}

Result<std::string> JsonString(const Json& object, const char* key, const std::string& fallback,
                               const std::string& path) {
  const Json* field = OptionalField(object, key);
  if (field == nullptr) return fallback;
  if (!field->is_string()) return WrongType(path, key, "a string");
  return field->get<std::string>();
}

Result<std::string> RequiredString(const Json& object, const std::string& path, const char* key) {
  BT_ASSIGN_OR_RETURN(const Json* field, RequiredField(object, path, key));
  if (!field->is_string()) return WrongType(path, key, "a string");
  return field->get<std::string>();
}

Status ReadInt(const Json& object, const std::string& path, const char* key, int64_t* out) {
  BT_ASSIGN_OR_RETURN(*out, JsonInt(object, key, *out, path));
  return Status::Ok();
}

Status ReadBool(const Json& object, const std::string& path, const char* key, bool* out) {
  BT_ASSIGN_OR_RETURN(*out, JsonBool(object, key, *out, path));
  return Status::Ok();
}

Status ReadString(const Json& object, const std::string& path, const char* key, std::string* out) {
  BT_ASSIGN_OR_RETURN(*out, JsonString(object, key, *out, path));
  return Status::Ok();
}

}  // namespace bt
