#include "tokenizers/normalizers.h"

#include <utility>
#include <vector>

#include "tokenizers/sentencepiece_normalizer.h"
#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

using unicode::CharClass;

// Replaces every char by what `rewrite` appends for it (possibly nothing); the replacement
// keeps the replaced char's origin, as Hugging Face aligns expansions to the char they came from.
template <class Rewrite>
void RewriteEach(NormalizedString* text, Rewrite rewrite) {
  NormalizedString out;
  out.chars.reserve(text->size());
  out.spans.reserve(text->size());
  std::u32string replacement;
  for (size_t i = 0; i < text->size(); ++i) {
    replacement.clear();
    rewrite(text->chars[i], &replacement);
    for (char32_t c : replacement) out.Append(c, text->spans[i]);
  }
  *text = std::move(out);
}

void Lowercase(NormalizedString* text) {
  RewriteEach(text, [](char32_t c, std::u32string* out) { unicode::AppendLowercase(c, out); });
}

// NFD followed by dropping nonspacing marks. Canonical reordering is skipped: it only permutes
// combining marks, which are then dropped anyway.
void StripAccents(NormalizedString* text) {
  RewriteEach(text, [](char32_t c, std::u32string* out) {
    std::u32string decomposed;
    unicode::AppendDecomposition(c, &decomposed);
    for (char32_t d : decomposed) {
      if (unicode::ClassOf(d) != CharClass::kMarkNonspacing) out->push_back(d);
    }
  });
}

// Hugging Face's CJK ranges (including its 0x2B920 start of the Extension E/F range).
bool IsChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
      : clean_text_(clean_text),
        handle_chinese_chars_(handle_chinese_chars),
        strip_accents_(strip_accents),
        lowercase_(lowercase) {}

  void Normalize(NormalizedString* text) const override {
    if (clean_text_) CleanText(text);
    if (handle_chinese_chars_) SpaceChineseChars(text);
    if (strip_accents_) StripAccents(text);
    if (lowercase_) Lowercase(text);
  }

 private:
  // Drops NUL, U+FFFD and "other" chars (Cc, Cf, Cs, Co, Cn, but not \t \n \r); every
  // whitespace char becomes a plain space.
  static void CleanText(NormalizedString* text) {
    RewriteEach(text, [](char32_t c, std::u32string* out) {
      const bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
      if (c == 0 || c == 0xFFFD || (!tab_or_newline && unicode::ClassOf(c) == CharClass::kOther)) return;
      out->push_back(unicode::IsWhitespace(c) ? U' ' : c);
    });
  }

  // Surrounds each CJK ideograph with spaces. Hugging Face aligns an inserted char to the char
  // before it; the leading space of the first char gets an empty span at that char's start.
  // (The spaces are split away before any token is made, so their spans are never reported.)
  static void SpaceChineseChars(NormalizedString* text) {
    NormalizedString out;
    for (size_t i = 0; i < text->size(); ++i) {
      const char32_t c = text->chars[i];
      const Span span = text->spans[i];
      if (!IsChineseChar(c)) {
        out.Append(c, span);
        continue;
      }
      out.Append(U' ', out.empty() ? Span{span.first, span.first} : out.spans.back());
      out.Append(c, span);
      out.Append(U' ', span);
    }
    *text = std::move(out);
  }

  bool clean_text_, handle_chinese_chars_, strip_accents_, lowercase_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  void Normalize(NormalizedString* text) const override { Lowercase(text); }
};

// Hugging Face's StripAccents only drops nonspacing marks; configurations put NFD before it.
class StripAccentsNormalizer final : public Normalizer {
 public:
  void Normalize(NormalizedString* text) const override {
    RewriteEach(text, [](char32_t c, std::u32string* out) {
      if (unicode::ClassOf(c) != CharClass::kMarkNonspacing) out->push_back(c);
    });
  }
};

// Replaces every match of a literal string, or of the one regex shape tokenizers use here: a
// run of one char ("X{n,}", e.g. " {2,}" in SentencePiece conversions).
class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::u32string literal, size_t min_run, std::u32string content)
      : pattern_(std::move(literal)), min_run_(min_run), content_(std::move(content)) {}

  void Normalize(NormalizedString* text) const override {
    NormalizedString out;
    for (size_t at = 0; at < text->size();) {
      const size_t length = MatchAt(text->chars, at);
      if (length == 0) {
        out.Append(text->chars[at], text->spans[at]);
        ++at;
        continue;
      }
      const Span span = text->OriginalSpan(at, at + length);
      for (char32_t c : content_) out.Append(c, span);
      at += length;
    }
    *text = std::move(out);
  }

 private:
  size_t MatchAt(const std::u32string& chars, size_t at) const {
    if (min_run_ == 0) return chars.compare(at, pattern_.size(), pattern_) == 0 ? pattern_.size() : 0;
    size_t run = 0;
    while (at + run < chars.size() && chars[at + run] == pattern_[0]) ++run;
    return run >= min_run_ ? run : 0;
  }

  std::u32string pattern_;
  size_t min_run_;  // 0: literal pattern
  std::u32string content_;
};

Result<std::unique_ptr<Normalizer>> ReplaceFromJson(const Json& config, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const Json* pattern, RequiredField(config, path, "pattern"));
  BT_ASSIGN_OR_RETURN(std::string content, RequiredString(config, path, "content"));
  std::string literal, regex;
  BT_RETURN_IF_ERROR(ReadString(*pattern, path + ".pattern", "String", &literal));
  BT_RETURN_IF_ERROR(ReadString(*pattern, path + ".pattern", "Regex", &regex));
  size_t min_run = 0;
  if (!regex.empty()) {
    // "X{n,}" with X a single ASCII char
    const size_t close = regex.size() - 2;
    if (regex.size() < 5 || regex[1] != '{' || regex.substr(close) != ",}" ||
        regex.find_first_not_of("0123456789", 2) != close || static_cast<unsigned char>(regex[0]) >= 0x80) {
      return FieldError(path + ".pattern.Regex", "only runs of one char (\"X{n,}\") are supported");
    }
    literal = regex.substr(0, 1);
    for (size_t i = 2; i < close && min_run < 1000000; ++i) min_run = min_run * 10 + static_cast<size_t>(regex[i] - '0');
    if (min_run == 0) return FieldError(path + ".pattern.Regex", "empty matches are not supported");
  }
  auto pattern_chars = DecodeUtf8(literal);
  auto content_chars = DecodeUtf8(content);
  if (!pattern_chars.ok() || pattern_chars.value().empty()) return FieldError(path + ".pattern", "empty or not UTF-8");
  if (!content_chars.ok()) return FieldError(path + ".content", "not valid UTF-8");
  return std::unique_ptr<Normalizer>(std::make_unique<ReplaceNormalizer>(std::move(pattern_chars).value(), min_run,
                                                                         std::move(content_chars).value()));
}

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void Normalize(NormalizedString* text) const override {
    for (const auto& step : steps_) step->Normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

Result<std::unique_ptr<Normalizer>> BertFromJson(const Json& config, const std::string& path) {
  bool clean_text = true, handle_chinese_chars = true, lowercase = true;
  BT_RETURN_IF_ERROR(ReadBool(config, path, "clean_text", &clean_text));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "handle_chinese_chars", &handle_chinese_chars));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "lowercase", &lowercase));
  bool strip_accents = lowercase;  // null strip_accents follows lowercase
  BT_RETURN_IF_ERROR(ReadBool(config, path, "strip_accents", &strip_accents));
  return std::unique_ptr<Normalizer>(
      std::make_unique<BertNormalizer>(clean_text, handle_chinese_chars, strip_accents, lowercase));
}

}  // namespace

Result<std::unique_ptr<Normalizer>> NormalizerFromJson(const Json* config, const std::string& path) {
  if (config == nullptr) return std::unique_ptr<Normalizer>();
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(*config, path, "type"));
  if (type == "BertNormalizer") return BertFromJson(*config, path);
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(std::make_unique<LowercaseNormalizer>());
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(std::make_unique<StripAccentsNormalizer>());
  if (type == "Replace") return ReplaceFromJson(*config, path);
  if (type == "Precompiled") return PrecompiledFromJson(*config, path);
  if (type == "Sequence") {
    BT_ASSIGN_OR_RETURN(const Json* list, RequiredField(*config, path, "normalizers"));
    if (!list->is_array()) return FieldError(path + ".normalizers", "expected an array");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      BT_ASSIGN_OR_RETURN(auto step, NormalizerFromJson(&(*list)[i], path + ".normalizers[" + std::to_string(i) + "]"));
      if (step) steps.push_back(std::move(step));
    }
    return std::unique_ptr<Normalizer>(std::make_unique<SequenceNormalizer>(std::move(steps)));
  }
  return FieldError(path + ".type", "unsupported normalizer '" + type + "'");
}

}  // namespace bt::tokenizers
