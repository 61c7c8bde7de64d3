// Unicode properties the tokenizers need, answered from the generated tables
// (unicode_tables.cc): a coarse general category, canonical decomposition and lowercasing.
#pragma once

#include <string>

namespace bt::tokenizers::unicode {

// General category, coarsened. The values are fixed by tools/gen_unicode_tables.py.
enum class CharClass : uint8_t {
  kOther = 0,         // Cc, Cf, Cs, Co, Cn
  kLetter = 1,        // L*
  kMarkNonspacing = 2,  // Mn
  kMarkOther = 3,     // Mc, Me
  kNumber = 4,        // N*
  kPunctuation = 5,   // P*
  kSymbol = 6,        // S*
  kSeparator = 7,     // Z*
};

CharClass ClassOf(char32_t cp);

// Rust's char::is_whitespace (the White_Space property).
bool IsWhitespace(char32_t cp);

// Appends the full canonical decomposition of cp (cp itself when it has none).
void AppendDecomposition(char32_t cp, std::u32string* out);

// Appends Rust's char::to_lowercase(cp): the unconditional full lowercase mapping.
void AppendLowercase(char32_t cp, std::u32string* out);

}  // namespace bt::tokenizers::unicode
