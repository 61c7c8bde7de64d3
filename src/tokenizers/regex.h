// A small regex engine for the patterns tokenizer.json files carry (Split pre-tokenizers, Replace
// normalizers and decoders). Hugging Face compiles them with Oniguruma (Ruby syntax); this engine
// accepts the part of that syntax such patterns use and matches with the same leftmost-first
// (backtracking-order) semantics, but as a Pike VM: time is linear in the text for a given
// pattern, whatever the text, and the work per text is capped so that no pattern can stall.
//
// Supported: literals and escapes (\t \n \r \f \v \a \e \xHH \x{H..} \uHHHH \0oo, escaped
// punctuation), `.` (not \n), classes [...] with ranges, negation, nesting, \d \D \w \W \s \S \h \H
// and \p{..} / \P{..} / \p{^..} (general categories by short or long name, scripts, Alphabetic,
// White_Space, Any, ASCII), groups (capturing, (?:), named), alternation, * + ? {n} {n,} {n,m}
// {,m} (greedy and lazy), anchors ^ $ \A \z \Z \b \B, inline (?i) (?m) and (?i:...) (?-i:...),
// and lookaround (?=..) (?!..) (?<=..) (?<!..) whose body is a fixed-length sequence of
// characters or classes (e.g. `\s+(?!\S)`). Refused with a clear error: backreferences,
// possessive quantifiers, atomic groups, conditionals, class intersection, variable-length
// lookaround. Case-insensitive matching folds with simple lowercase mappings.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace bt::tokenizers {

class Regex {
 public:
  // Compiles an Oniguruma-syntax pattern; errors say what is unsupported and where.
  static Result<Regex> Compile(std::u32string_view pattern);
  // A pattern matching `text` literally (tokenizer.json's {"String": ...} patterns).
  static Regex Literal(std::u32string_view text);

  Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // The non-overlapping matches [begin, end) in `text`, in order, as Oniguruma's find_iter
  // reports them (an empty match right after the previous match is skipped). Errors when the
  // search needs more work than the text's size allows (a pathological pattern).
  Status FindAll(std::u32string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;

  struct Program;

 private:
  std::unique_ptr<Program> program_;
};

}  // namespace bt::tokenizers
