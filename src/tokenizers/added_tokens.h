// Added tokens (tokenizer.json `added_tokens`): strings that are cut out of the text before the
// model sees it and map straight to one id. Tokens with `normalized: false` (all special tokens
// in practice) are matched in the raw text, the others in the normalized text, leftmost-longest
// as Hugging Face's Aho-Corasick matcher does.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "io/json_util.h"
#include "tokenizers/normalized_string.h"
#include "tokenizers/normalizers.h"

namespace bt::tokenizers {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool single_word = false;  // only match when not inside a word
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool normalized = true;    // matched against normalized text
  bool special = false;      // dropped by Decode(skip_special_tokens)
};

// A stretch of text: an added token's match, or text between matches (token == -1).
struct TextSegment {
  size_t begin;
  size_t end;
  int32_t token;  // index into AddedVocabulary::tokens(), or -1
};

class AddedVocabulary {
 public:
  static Result<AddedVocabulary> FromJson(const Json* list, const std::string& path);
  // Precomputes the normalized forms that `normalized` tokens are matched by.
  void Prepare(const Normalizer* normalizer);

  // Cuts text at matches of the raw (normalized == false) or the normalized tokens.
  std::vector<TextSegment> SplitRaw(std::u32string_view text) const { return Split(text, raw_patterns_); }
  std::vector<TextSegment> SplitNormalized(std::u32string_view text) const {
    return Split(text, normalized_patterns_);
  }

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* FindById(int32_t id) const;
  const AddedToken* FindByContent(std::string_view content) const;

 private:
  struct Pattern {
    std::u32string text;
    int32_t token;
  };
  // Patterns by their first char, longest first within each bucket.
  using PatternSet = std::unordered_map<char32_t, std::vector<Pattern>>;
  static void AddPattern(std::u32string text, int32_t token, PatternSet* set);
  std::vector<TextSegment> Split(std::u32string_view text, const PatternSet& patterns) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  PatternSet raw_patterns_;
  PatternSet normalized_patterns_;
};

}  // namespace bt::tokenizers
