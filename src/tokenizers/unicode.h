// Unicode properties the tokenizers need, answered from the generated tables
// (unicode_tables.cc): general category, decompositions and composition (NFC/NFD/NFKC/NFKD),
// combining classes, lowercasing, grapheme cluster breaks, scripts, and the character classes of
// Rust (whose definitions Hugging Face's tokenizers inherit) and Oniguruma (its regexes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bt::tokenizers::unicode {

// The values are fixed by tools/gen_unicode_tables.py (CATEGORIES).
enum class GeneralCategory : uint8_t {
  kLu, kLl, kLt, kLm, kLo, kMn, kMc, kMe, kNd, kNl, kNo, kPc, kPd, kPs, kPe, kPi,
  kPf, kPo, kSm, kSc, kSk, kSo, kZs, kZl, kZp, kCc, kCf, kCs, kCo, kCn,
};
constexpr int kGeneralCategoryCount = 30;

GeneralCategory CategoryOf(char32_t cp);
// The two-letter name ("Lu") of a category.
const char* CategoryName(GeneralCategory category);

// General category, coarsened.
enum class CharClass : uint8_t {
  kOther = 0,           // Cc, Cf, Cs, Co, Cn
  kLetter = 1,          // L*
  kMarkNonspacing = 2,  // Mn
  kMarkOther = 3,       // Mc, Me
  kNumber = 4,          // N*
  kPunctuation = 5,     // P*
  kSymbol = 6,          // S*
  kSeparator = 7,       // Z*
};

CharClass ClassOf(char32_t cp);

inline bool IsMark(char32_t cp) {
  const CharClass c = ClassOf(cp);
  return c == CharClass::kMarkNonspacing || c == CharClass::kMarkOther;
}

// Rust's char::is_whitespace (the White_Space property); also Oniguruma's \s.
bool IsWhitespace(char32_t cp);
// Rust's char::is_alphabetic (the Alphabetic property).
bool IsAlphabetic(char32_t cp);
// Rust's char::is_numeric (general category N*).
inline bool IsNumeric(char32_t cp) { return ClassOf(cp) == CharClass::kNumber; }
// Rust's char::is_alphanumeric.
inline bool IsAlphanumeric(char32_t cp) { return IsAlphabetic(cp) || IsNumeric(cp); }
// Unicode's word characters (UTS #18): Alphabetic, marks, decimal digits, connector punctuation,
// join controls — \w in the Rust regex crate.
bool IsWordChar(char32_t cp);
// Oniguruma's \w (and \b): the same without the join controls, plus the Latin-1 digits and
// fractions ¹ ² ³ ¼ ½ ¾ (its ISO-8859-1 table below U+0100).
bool IsOnigWordChar(char32_t cp);
// Rust's char::is_ascii_punctuation or the unicode_categories crate's is_punctuation (P* as of
// Unicode 8.0): what Hugging Face's Punctuation and BertPreTokenizer split on.
bool IsPunctuation(char32_t cp);
// The unicode_categories crate's is_other (Cc, Cf, Co, Cs as of Unicode 8.0; never Cn):
// what Hugging Face's BertNormalizer drops as control characters (besides \t \n \r).
bool IsBertOther(char32_t cp);
// The unicode_categories crate's is_mark_nonspacing (Mn as of Unicode 8.0): BertNormalizer's accents.
bool IsBertNonspacingMark(char32_t cp);

// Appends the full canonical decomposition of cp (cp itself when it has none).
void AppendDecomposition(char32_t cp, std::u32string* out);
// Appends the full compatibility decomposition of cp (cp itself when it has none).
void AppendCompatDecomposition(char32_t cp, std::u32string* out);
uint8_t CombiningClass(char32_t cp);
// The primary composite of a + b, or 0 when they do not compose.
char32_t Compose(char32_t a, char32_t b);

// Appends Rust's char::to_lowercase(cp): the unconditional full lowercase mapping.
void AppendLowercase(char32_t cp, std::u32string* out);

// Grapheme_Cluster_Break, with Extended_Pictographic folded in (tools/gen_unicode_tables.py).
enum class GraphemeBreak : uint8_t {
  kOther, kCR, kLF, kControl, kExtend, kZWJ, kRegionalIndicator, kPrepend, kSpacingMark,
  kL, kV, kT, kLV, kLVT, kExtPict,
};
GraphemeBreak GraphemeBreakOf(char32_t cp);
// End of the extended grapheme cluster (UAX #29) that starts at text[begin].
size_t GraphemeEnd(std::u32string_view text, size_t begin);

// Script (Unicode's Script property): an index into the script names, 0 for Unknown.
int ScriptOf(char32_t cp);
// Index of a script by its long name ("Latin", "Old_Italic"; case, spaces, "_" and "-" ignored), or -1.
int ScriptByName(std::string_view name);
// Whether cp was assigned by Unicode `major`.`minor` (Hugging Face's script table is 9.0, the
// unicode_categories crate behind its punctuation and control tests 8.0).
bool AssignedBy(char32_t cp, int major, int minor);

// Unpacks every Unicode table now (they are otherwise unpacked on first use): called when a tokenizer is
// built, so that the module-lifetime tables are allocated before a call and never look like a leak.
void PrepareTables();

}  // namespace bt::tokenizers::unicode
