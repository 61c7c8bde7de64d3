// Options shared by the Metaspace pre-tokenizer and decoder (SentencePiece-style tokenizers mark
// word starts with a visible char, "▁" by default).
#pragma once

#include <string>

#include "core/status.h"
#include "io/json_util.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {

enum class MetaspacePrepend { kAlways, kFirst, kNever };

struct MetaspaceOptions {
  char32_t replacement = U'\u2581';
  MetaspacePrepend prepend = MetaspacePrepend::kAlways;  // mark in front of each piece / the first / none
  bool split = true;  // cut the piece in front of every mark
};

// Reads both generations of the config: `prepend_scheme` and the older `add_prefix_space`.
inline Result<MetaspaceOptions> MetaspaceFromJson(const Json& config, const std::string& path) {
  MetaspaceOptions options;
  std::string replacement = "\u2581", scheme;
  bool add_prefix_space = true;
  BT_RETURN_IF_ERROR(ReadString(config, path, "replacement", &replacement));
  BT_RETURN_IF_ERROR(ReadString(config, path, "prepend_scheme", &scheme));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "add_prefix_space", &add_prefix_space));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "split", &options.split));
  auto chars = DecodeUtf8(replacement);
  if (!chars.ok() || chars.value().size() != 1) return FieldError(path + ".replacement", "expected one char");
  options.replacement = chars.value()[0];
  if (scheme.empty()) {
    options.prepend = add_prefix_space ? MetaspacePrepend::kAlways : MetaspacePrepend::kNever;
  } else if (scheme == "always" || scheme == "first" || scheme == "never") {
    options.prepend = scheme == "always" ? MetaspacePrepend::kAlways
                      : scheme == "first" ? MetaspacePrepend::kFirst
                                          : MetaspacePrepend::kNever;
  } else {
    return FieldError(path + ".prepend_scheme", "expected always, first or never");
  }
  return options;
}

}  // namespace bt::tokenizers
