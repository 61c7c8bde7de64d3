// SentencePiece normalization: the precompiled charsmap (a darts-clone double-array trie of
// rewrite rules, e.g. nmt_nfkc) applied longest-match-first, plus SentencePiece's whitespace
// rules. Used by spiece.model tokenizers and by tokenizer.json's "Precompiled" normalizer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizers/normalizers.h"

namespace bt::tokenizers {

class PrecompiledCharsmap {
 public:
  // The blob: uint32 trie size in bytes (little endian), the trie units, then the
  // '\0'-terminated replacement strings.
  static Result<PrecompiledCharsmap> Parse(std::string_view blob, const std::string& what);

  // The longest rule matching a prefix of `bytes`: sets *replacement and returns the matched
  // length in bytes, or returns 0 when no rule matches.
  size_t LongestMatch(std::string_view bytes, std::string_view* replacement) const;
  // The same for the first (shortest) matching rule, as Hugging Face's spm_precompiled takes it.
  size_t FirstMatch(std::string_view bytes, std::string_view* replacement) const;

 private:
  size_t Match(std::string_view bytes, std::string_view* replacement, bool first) const;

  std::vector<uint32_t> units_;
  std::string replacements_;
};

struct SentencePieceWhitespace {
  bool add_dummy_prefix = true;          // a "▁" in front of the text
  bool remove_extra_whitespaces = true;  // no leading/trailing spaces, runs collapse to one
  bool escape_whitespaces = true;        // spaces become "▁"
};

// tokenizer.json {"type": "Precompiled", "precompiled_charsmap": base64}: the charsmap rules
// alone, applied as Hugging Face applies them (whole grapheme clusters under 6 bytes first, the
// shortest matching rule replacing the whole cluster; then char by char).
Result<std::unique_ptr<Normalizer>> PrecompiledFromJson(const Json& config, const std::string& path);

// sentencepiece's normalizer: charsmap rules, whitespace handling, and user-defined symbols
// left untouched.
std::unique_ptr<Normalizer> MakeSentencePieceNormalizer(PrecompiledCharsmap charsmap,
                                                        SentencePieceWhitespace whitespace,
                                                        std::vector<std::u32string> user_symbols);

}  // namespace bt::tokenizers
