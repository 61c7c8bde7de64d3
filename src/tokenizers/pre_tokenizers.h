// Pre-tokenizers: cut a normalized piece of text into words, which the model then tokenizes
// one at a time. Words keep their alignment to the original text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/json_util.h"
#include "tokenizers/normalized_string.h"

namespace bt::tokenizers {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Appends the non-empty words of `piece` to `words`. Fails only when a regex needs more work
  // than the text allows (regex.h).
  virtual Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const = 0;
};

// Builds the pre-tokenizer described by tokenizer.json's `pre_tokenizer` (nullptr for null).
Result<std::unique_ptr<PreTokenizer>> PreTokenizerFromJson(const Json* config, const std::string& path);

}  // namespace bt::tokenizers
