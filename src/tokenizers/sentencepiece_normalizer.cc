#include "tokenizers/sentencepiece_normalizer.h"

#include <algorithm>
#include <utility>

#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

constexpr char32_t kSpaceMark = U'\u2581';

// darts-clone unit fields.
bool HasLeaf(uint32_t unit) { return (unit >> 8) & 1; }
uint32_t Value(uint32_t unit) { return unit & 0x7FFFFFFFu; }
uint32_t Label(uint32_t unit) { return unit & (0x80000000u | 0xFFu); }
uint32_t Offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

// A piece of text under SentencePiece normalization, with the UTF-8 the charsmap trie reads.
class Rewriter {
 public:
  Rewriter(const PrecompiledCharsmap& charsmap, const NormalizedString& text) : charsmap_(charsmap), text_(text) {
    for (char32_t c : text.chars) {
      byte_of_char_.push_back(bytes_.size());
      AppendUtf8(c, &bytes_);
    }
    byte_of_char_.push_back(bytes_.size());
  }

  // The rewrite at char `at`: the longest charsmap rule, else the char itself. Returns the
  // number of chars consumed.
  size_t At(size_t at, std::u32string* replacement) const {
    std::string_view rule;
    const size_t matched = charsmap_.LongestMatch(std::string_view(bytes_).substr(byte_of_char_[at]), &rule);
    size_t end = at;
    while (end < text_.size() && byte_of_char_[end] < byte_of_char_[at] + matched) ++end;
    auto decoded = DecodeUtf8(rule);
    // Rules always cover whole chars and hold valid UTF-8; anything else is treated as no rule.
    if (matched == 0 || byte_of_char_[end] != byte_of_char_[at] + matched || !decoded.ok()) {
      *replacement = std::u32string(1, text_.chars[at]);
      return 1;
    }
    *replacement = std::move(decoded).value();
    return end - at;
  }

 private:
  const PrecompiledCharsmap& charsmap_;
  const NormalizedString& text_;
  std::string bytes_;
  std::vector<size_t> byte_of_char_;
};

// tokenizer.json's Precompiled normalizer as Hugging Face applies it: per extended grapheme
// cluster, the whole cluster is looked up first when it is under 6 UTF-8 bytes, and the first
// (shortest) rule matching a prefix of it replaces the whole cluster; otherwise each char is
// looked up alone. The rewrite is a transformation (normalized_string.h): the replacing chars
// take the spans of the chars they replace, extra ones the span of the char before them.
class PrecompiledNormalizer final : public Normalizer {
 public:
  explicit PrecompiledNormalizer(PrecompiledCharsmap charsmap) : charsmap_(std::move(charsmap)) {}

  Status Normalize(NormalizedString* text) const override {
    std::vector<Change> changes;
    changes.reserve(text->size());
    bool modified = false;
    std::string bytes;
    std::string_view rule;
    // tokenizers' precompiled::replace: the new chars, the surplus marked as insertions or the
    // shortfall charged to the last change.
    auto replace = [&](size_t old_count, const std::u32string& replacement) {
      for (char32_t c : replacement) changes.push_back(Change{c, 0});
      const int64_t diff = static_cast<int64_t>(replacement.size()) - static_cast<int64_t>(old_count);
      if (diff > 0) {
        for (size_t i = 0; i < static_cast<size_t>(diff); ++i) changes[changes.size() - 1 - i].change = 1;
      } else if (diff < 0 && !changes.empty()) {
        changes.back().change += static_cast<int32_t>(diff);
      }
      modified = true;
    };
    auto lookup = [&](std::u32string_view chars, std::u32string* replacement) {
      bytes = EncodeUtf8(chars);
      if (charsmap_.FirstMatch(bytes, &rule) == 0) return false;
      auto decoded = DecodeUtf8(rule);
      if (!decoded.ok()) return false;  // a corrupt rule is no rule
      *replacement = std::move(decoded).value();
      return true;
    };
    std::u32string replacement;
    const std::u32string_view chars(text->chars);
    for (size_t begin = 0; begin < chars.size();) {
      const size_t end = unicode::GraphemeEnd(chars, begin);
      const std::u32string_view cluster = chars.substr(begin, end - begin);
      if (Utf8Length(cluster) < 6 && lookup(cluster, &replacement)) {
        replace(cluster.size(), replacement);
      } else {
        for (size_t i = begin; i < end; ++i) {
          if (lookup(chars.substr(i, 1), &replacement)) {
            replace(1, replacement);
          } else {
            changes.push_back(Change{chars[i], 0});
          }
        }
      }
      begin = end;
    }
    if (modified) text->Transform(changes, 0);
    return Status::Ok();
  }

 private:
  static size_t Utf8Length(std::u32string_view chars) {
    size_t n = 0;
    for (char32_t c : chars) n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    return n;
  }

  PrecompiledCharsmap charsmap_;
};

// sentencepiece's Normalizer::Normalize, keeping each output char tied to the input it came from.
class SentencePieceNormalizer final : public Normalizer {
 public:
  SentencePieceNormalizer(PrecompiledCharsmap charsmap, SentencePieceWhitespace whitespace,
                          std::vector<std::u32string> user_symbols)
      : charsmap_(std::move(charsmap)), whitespace_(whitespace), user_symbols_(std::move(user_symbols)) {}

  Status Normalize(NormalizedString* text) const override {
    Rewriter rewriter(charsmap_, *text);
    std::u32string replacement;
    size_t at = 0;
    while (whitespace_.remove_extra_whitespaces && at < text->size()) {  // leading whitespace
      const size_t consumed = Rewrite(rewriter, *text, at, &replacement);
      if (replacement != U" ") break;
      at += consumed;
    }
    NormalizedString out;
    if (at == text->size()) {
      *text = std::move(out);
      return Status::Ok();
    }
    const char32_t space = whitespace_.escape_whitespaces ? kSpaceMark : U' ';
    std::vector<bool> from_space;  // per output char: it stands for whitespace
    auto append = [&](char32_t c, Span span, bool is_space) {
      out.Append(c, span);
      from_space.push_back(is_space);
    };
    if (whitespace_.add_dummy_prefix) append(space, text->spans[at], true);
    bool previous_was_space = whitespace_.remove_extra_whitespaces;
    while (at < text->size()) {
      const size_t consumed = Rewrite(rewriter, *text, at, &replacement);
      const Span span = text->OriginalSpan(at, at + consumed);
      size_t skip = 0;
      while (previous_was_space && skip < replacement.size() && replacement[skip] == U' ') ++skip;
      if (skip < replacement.size()) {
        for (size_t i = skip; i < replacement.size(); ++i) {
          append(replacement[i] == U' ' ? space : replacement[i], span, replacement[i] == U' ');
        }
        previous_was_space = replacement.back() == U' ';
      }
      at += consumed;
      if (!whitespace_.remove_extra_whitespaces) previous_was_space = false;
    }
    if (whitespace_.remove_extra_whitespaces) {
      while (!out.empty() && from_space.back()) {
        out.chars.pop_back();
        out.spans.pop_back();
        from_space.pop_back();
      }
    }
    // Offsets exclude the whitespace in front of a word, as Hugging Face's SentencePiece-based
    // tokenizers report them: a mark gets an empty span where the text after it starts.
    int32_t following = out.empty() ? 0 : out.spans.back().second;
    for (size_t i = out.size(); i-- > 0;) {
      if (from_space[i]) out.spans[i] = {following, following};
      following = out.spans[i].first;
    }
    *text = std::move(out);
    return Status::Ok();
  }

 private:
  // A user-defined symbol at `at` passes through unchanged (longest first); otherwise the charsmap.
  size_t Rewrite(const Rewriter& rewriter, const NormalizedString& text, size_t at, std::u32string* replacement) const {
    size_t longest = 0;
    for (const std::u32string& symbol : user_symbols_) {
      if (symbol.size() > longest && std::u32string_view(text.chars).substr(at, symbol.size()) == symbol) {
        longest = symbol.size();
      }
    }
    if (longest > 0) {
      *replacement = text.chars.substr(at, longest);
      return longest;
    }
    return rewriter.At(at, replacement);
  }

  PrecompiledCharsmap charsmap_;
  SentencePieceWhitespace whitespace_;
  std::vector<std::u32string> user_symbols_;
};

Result<std::string> DecodeBase64(std::string_view text, const std::string& what) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+') value = 62;
    else if (c == '/') value = 63;
    else if (c == '=') break;
    else return Status::BadCheckpoint(what + ": not valid base64");
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

}  // namespace

Result<PrecompiledCharsmap> PrecompiledCharsmap::Parse(std::string_view blob, const std::string& what) {
  PrecompiledCharsmap charsmap;
  if (blob.empty()) return charsmap;  // no rules
  if (blob.size() < 4) return Status::BadCheckpoint(what + ": charsmap too short");
  const uint32_t trie_bytes = static_cast<uint32_t>(static_cast<unsigned char>(blob[0])) |
                              static_cast<uint32_t>(static_cast<unsigned char>(blob[1])) << 8 |
                              static_cast<uint32_t>(static_cast<unsigned char>(blob[2])) << 16 |
                              static_cast<uint32_t>(static_cast<unsigned char>(blob[3])) << 24;
  if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4) return Status::BadCheckpoint(what + ": charsmap trie size is wrong");
  charsmap.units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < charsmap.units_.size(); ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(blob.data() + 4 + 4 * i);
    charsmap.units_[i] = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  }
  charsmap.replacements_.assign(blob.substr(4 + trie_bytes));
  return charsmap;
}

size_t PrecompiledCharsmap::LongestMatch(std::string_view bytes, std::string_view* replacement) const {
  return Match(bytes, replacement, false);
}

size_t PrecompiledCharsmap::FirstMatch(std::string_view bytes, std::string_view* replacement) const {
  return Match(bytes, replacement, true);
}

// darts-clone's commonPrefixSearch, keeping the first (shortest) or the longest hit.
size_t PrecompiledCharsmap::Match(std::string_view bytes, std::string_view* replacement, bool first) const {
  if (units_.empty()) return 0;
  size_t longest = 0;
  uint32_t node = Offset(units_[0]);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto label = static_cast<unsigned char>(bytes[i]);
    node ^= label;
    if (node >= units_.size()) break;
    const uint32_t unit = units_[node];
    if (Label(unit) != label) break;
    node ^= Offset(unit);
    if (node >= units_.size()) break;
    if (HasLeaf(unit)) {
      const uint32_t value = Value(units_[node]);
      if (value >= replacements_.size()) break;  // corrupt data: ignore the rule
      longest = i + 1;
      const size_t end = std::min(replacements_.find('\0', value), replacements_.size());
      *replacement = std::string_view(replacements_).substr(value, end - value);
      if (first) break;
    }
  }
  return longest;
}

Result<std::unique_ptr<Normalizer>> PrecompiledFromJson(const Json& config, const std::string& path) {
  std::string encoded;
  BT_RETURN_IF_ERROR(ReadString(config, path, "precompiled_charsmap", &encoded));
  BT_ASSIGN_OR_RETURN(std::string blob, DecodeBase64(encoded, path + ".precompiled_charsmap"));
  BT_ASSIGN_OR_RETURN(PrecompiledCharsmap charsmap, PrecompiledCharsmap::Parse(blob, path + ".precompiled_charsmap"));
  return std::unique_ptr<Normalizer>(std::make_unique<PrecompiledNormalizer>(std::move(charsmap)));
}

std::unique_ptr<Normalizer> MakeSentencePieceNormalizer(PrecompiledCharsmap charsmap, SentencePieceWhitespace whitespace,
                                                        std::vector<std::u32string> user_symbols) {
  return std::make_unique<SentencePieceNormalizer>(std::move(charsmap), whitespace, std::move(user_symbols));
}

}  // namespace bt::tokenizers
