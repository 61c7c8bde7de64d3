// Normalizers: rewrite a NormalizedString in place, keeping every char tied to its origin.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "tokenizers/json_util.h"
#include "tokenizers/normalized_string.h"

namespace bt::tokenizers {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void Normalize(NormalizedString* text) const = 0;
};

// Builds the normalizer described by tokenizer.json's `normalizer` (nullptr for null).
Result<std::unique_ptr<Normalizer>> NormalizerFromJson(const Json* config, const std::string& path);

}  // namespace bt::tokenizers
