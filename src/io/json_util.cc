#include "io/json_util.h"

namespace bt {
namespace {

const Json* FindField(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Status WrongType(const char* key, const char* expected, const std::string& where) {
  return Status::Error(where + ": field '" + key + "' must be " + expected);
}

}  // namespace

Result<Json> ParseJson(std::string_view text, const std::string& what) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::Error(what + ": invalid JSON");
  return json;
}

Result<int64_t> JsonInt(const Json& object, const char* key, int64_t fallback, const std::string& where) {
  const Json* field = FindField(object, key);
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
  return WrongType(key, "an integer", where);
}

Result<double> JsonNumber(const Json& object, const char* key, double fallback, const std::string& where) {
  const Json* field = FindField(object, key);
  if (field == nullptr) return fallback;
  if (!field->is_number()) return WrongType(key, "a number", where);
  return field->get<double>();
}

Result<bool> JsonBool(const Json& object, const char* key, bool fallback, const std::string& where) {
  const Json* field = FindField(object, key);
  if (field == nullptr) return fallback;
  if (!field->is_boolean()) return WrongType(key, "true or false", where);
  return field->get<bool>();
}

Result<std::string> JsonString(const Json& object, const char* key, const std::string& fallback,
                               const std::string& where) {
  const Json* field = FindField(object, key);
  if (field == nullptr) return fallback;
  if (!field->is_string()) return WrongType(key, "a string", where);
  return field->get<std::string>();
}

}  // namespace bt
