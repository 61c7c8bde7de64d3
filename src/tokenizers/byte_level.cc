#include "tokenizers/byte_level.h"

#include <array>

#include "tokenizers/unicode.h"

namespace bt::tokenizers::byte_level {
namespace {

struct ByteTables {
  std::array<char32_t, 256> to_char{};
  std::array<int16_t, 324> to_byte{};  // chars never exceed U+0143
};

ByteTables BuildTables() {
  ByteTables tables;
  tables.to_byte.fill(-1);
  char32_t next_unprintable = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const char32_t c = printable ? static_cast<char32_t>(b) : next_unprintable++;
    tables.to_char[b] = c;
    tables.to_byte[c] = static_cast<int16_t>(b);
  }
  return tables;
}

const ByteTables& Tables() {
  static const ByteTables tables = BuildTables();
  return tables;
}

bool IsLetter(char32_t c) { return unicode::ClassOf(c) == unicode::CharClass::kLetter; }
bool IsNumber(char32_t c) { return unicode::ClassOf(c) == unicode::CharClass::kNumber; }
bool IsOtherSymbol(char32_t c) { return !unicode::IsWhitespace(c) && !IsLetter(c) && !IsNumber(c); }

// Length of the run of chars satisfying `pred` from `at`.
template <class Pred>
size_t RunLength(std::u32string_view text, size_t at, Pred pred) {
  size_t end = at;
  while (end < text.size() && pred(text[end])) ++end;
  return end - at;
}

// Length of the match of the pattern's alternatives at `at` (always >= 1 inside the text).
size_t MatchAt(std::u32string_view text, size_t at) {
  // 's|'t|'re|'ve|'m|'ll|'d
  if (text[at] == '\'') {
    for (std::u32string_view suffix : {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"}) {
      if (text.substr(at + 1, suffix.size()) == suffix) return 1 + suffix.size();
    }
  }
  // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+', in this order.
  const size_t body = text[at] == ' ' ? at + 1 : at;
  if (body < text.size()) {
    for (bool (*pred)(char32_t) : {IsLetter, IsNumber, IsOtherSymbol}) {
      const size_t run = RunLength(text, body, pred);
      if (run > 0) return body - at + run;
    }
  }
  // \s+(?!\S) backs off one char when the run is followed by a non-space; then \s+.
  const size_t spaces = RunLength(text, at, unicode::IsWhitespace);
  if (at + spaces < text.size() && spaces > 1) return spaces - 1;
  return spaces;
}

}  // namespace

char32_t ByteToChar(uint8_t byte) { return Tables().to_char[byte]; }

int32_t CharToByte(char32_t c) { return c < Tables().to_byte.size() ? Tables().to_byte[c] : -1; }

std::vector<std::pair<size_t, size_t>> SplitGpt2(std::u32string_view text) {
  std::vector<std::pair<size_t, size_t>> words;
  for (size_t at = 0; at < text.size();) {
    const size_t length = MatchAt(text, at);
    words.emplace_back(at, at + length);
    at += length;
  }
  return words;
}

}  // namespace bt::tokenizers::byte_level
