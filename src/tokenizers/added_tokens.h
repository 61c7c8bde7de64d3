// Added tokens (tokenizer.json `added_tokens`): strings that are cut out of the text before the
// model sees it and map straight to one id. Tokens with `normalized: false` (all special tokens
// in practice) are matched in the raw text, the others in the normalized text, leftmost-longest
// as Hugging Face's Aho-Corasick matcher does.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
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
  // A trie of the patterns (one per matching mode): node 0 is the root; `terminal` is the token a
  // path spells (-1 if none), the first added with that text. Building is O(total pattern length)
  // hash insertions; a match at one text position walks at most the longest pattern.
  struct PatternTrie {
    std::unordered_map<uint64_t, int32_t> edges;  // (node << 32 | char) -> child node
    std::vector<int32_t> terminal{-1};
    bool empty() const { return edges.empty(); }
    void Add(const std::u32string& text, int32_t token);
    // The longest pattern starting at text[at]: its token and length, or {-1, 0}.
    std::pair<int32_t, size_t> LongestAt(std::u32string_view text, size_t at) const;
  };
  std::vector<TextSegment> Split(std::u32string_view text, const PatternTrie& patterns) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_content_;  // the first token with that content
  PatternTrie raw_patterns_;
  PatternTrie normalized_patterns_;
};

}  // namespace bt::tokenizers
