// Safe reads from nlohmann::json for a build without exceptions: every accessor checks the
// type first and reports the field by name, so untrusted JSON can never abort the engine.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace bt {

using Json = nlohmann::json;

// Parses `text`; the error names `what` (e.g. "config.json").
Result<Json> ParseJson(std::string_view text, const std::string& what);

// Optional fields: the default when absent or null, an error when present with the wrong type.
Result<int64_t> JsonInt(const Json& object, const char* key, int64_t fallback, const std::string& where);
Result<double> JsonNumber(const Json& object, const char* key, double fallback, const std::string& where);
Result<bool> JsonBool(const Json& object, const char* key, bool fallback, const std::string& where);
Result<std::string> JsonString(const Json& object, const char* key, const std::string& fallback,
                               const std::string& where);

}  // namespace bt
