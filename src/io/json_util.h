// Safe reads from nlohmann::json for a build without exceptions: every accessor checks the type
// first and names the field by its path ("model.vocab: expected an object", "config.json.hidden_size:
// expected an integer"), so untrusted JSON can never abort the engine. The one JSON helper library
// (config.json, safetensors headers, tokenizer.json, load / explain / tokenize options).
//
// Errors carry StatusCode::kBadCheckpoint: JSON read here is a model file unless said otherwise.
// A parser of the caller's own options reclassifies its failures (Status::WithCode(kInvalidArgument)).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace bt {

using Json = nlohmann::json;

// Parses `text`; the error names `what` (e.g. "config.json: invalid JSON").
Result<Json> ParseJson(std::string_view text, const std::string& what);

// Deepest nesting of arrays/objects in `root` (a scalar is 0), computed without recursion. Builders
// that recurse once per level (tokenizer.json's Sequence components) refuse documents deeper than
// kMaxJsonDepth before they run (tests/fuzz/FINDINGS.md F1: unbounded nesting overflowed the stack).
constexpr int kMaxJsonDepth = 64;
int JsonDepth(const Json& root);

// `path: what`, e.g. FieldError("model.vocab", "missing").
Status FieldError(const std::string& path, const std::string& what);

// Child `key` of `object`, or nullptr when absent or null (or `object` is not an object).
const Json* OptionalField(const Json& object, const char* key);
// The same, an error naming `path.key` when absent.
Result<const Json*> RequiredField(const Json& object, const std::string& path, const char* key);

// Optional scalar fields at `path.key`: `fallback` when absent or null, an error when present with
// the wrong type. Integers may be written as integral floats (1e3), within int64's range.
Result<int64_t> JsonInt(const Json& object, const char* key, int64_t fallback, const std::string& path);
Result<double> JsonNumber(const Json& object, const char* key, double fallback, const std::string& path);
Result<bool> JsonBool(const Json& object, const char* key, bool fallback, const std::string& path);
Result<std::string> JsonString(const Json& object, const char* key, const std::string& fallback,
                               const std::string& path);
Result<std::string> RequiredString(const Json& object, const std::string& path, const char* key);

// The same reads into an out-parameter that holds the default (left untouched when absent or null).
Status ReadInt(const Json& object, const std::string& path, const char* key, int64_t* out);
Status ReadBool(const Json& object, const std::string& path, const char* key, bool* out);
Status ReadString(const Json& object, const std::string& path, const char* key, std::string* out);

}  // namespace bt
