// Small helpers for turning engine results into JS values (Embind).
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace bt {

using emscripten::val;

// {error: message, code: "INVALID_ARGUMENT" | ..., details?: {file, field, tensor, limit}}: every failure
// the JS layer turns into a BertologyError with that code (js/errors.js, unwrap).
inline val ErrorObject(const Status& status) {
  val out = val::object();
  out.set("error", status.message());
  out.set("code", std::string(StatusCodeName(status.code())));
  const StatusDetails& d = status.details();
  if (!d.empty()) {
    val details = val::object();
    if (!d.file.empty()) details.set("file", d.file);
    if (!d.field.empty()) details.set("field", d.field);
    if (!d.limit.empty()) details.set("limit", d.limit);
    if (!d.field.empty() && d.tensor) details.set("tensor", d.field);
    out.set("details", details);
  }
  return out;
}

// A JS-owned typed array with a copy of `values` (a view into wasm memory, then slice()).
template <class T>
val CopyToJs(const std::vector<T>& values) {
  return val(emscripten::typed_memory_view(values.size(), values.data())).call<val>("slice");
}

inline val ShapeToJs(const std::vector<int64_t>& shape) {
  val out = val::array();
  for (int64_t d : shape) out.call<void>("push", static_cast<double>(d));
  return out;
}

// A JS string or a Uint8Array of UTF-8 bytes (both convert to std::string).
inline bool IsText(const val& v) { return v.isString() || v.instanceof(val::global("Uint8Array")); }

}  // namespace bt
