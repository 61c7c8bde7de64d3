// Normalizers: rewrite a NormalizedString in place, keeping every char tied to its origin.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "io/json_util.h"
#include "tokenizers/normalized_string.h"

namespace bt::tokenizers {

class Regex;

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Fails only when a regex needs more work than the text allows (regex.h).
  virtual Status Normalize(NormalizedString* text) const = 0;
};

// Builds the normalizer described by tokenizer.json's `normalizer` (nullptr for null).
Result<std::unique_ptr<Normalizer>> NormalizerFromJson(const Json* config, const std::string& path);

// The `pattern` field of Replace and Split: {"String": text} (literal) or {"Regex": pattern}.
Result<Regex> PatternFromJson(const Json& config, const std::string& path);

}  // namespace bt::tokenizers
