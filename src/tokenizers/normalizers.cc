#include "tokenizers/normalizers.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "tokenizers/byte_level.h"
#include "tokenizers/regex.h"
#include "tokenizers/sentencepiece_normalizer.h"
#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

using unicode::CharClass;

// Replaces every char by what `rewrite` appends for it (possibly nothing): the first output char
// replaces it, the others are inserted after it, so all keep the replaced char's span. This is
// Hugging Face's transformation for char-by-char rewrites (map, filter, lowercase, ...).
template <class Rewrite>
void RewriteEach(NormalizedString* text, Rewrite rewrite) {
  NormalizedString out;
  out.origin = text->origin;
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

// --- Unicode normalization forms, as the unicode-normalization-alignments crate computes them:
// decomposition with canonical reordering (each output char carries its change: 0 for the first
// char of a decomposition, 1 for the others; reordering moves the changes with the chars), then
// canonical composition (a composed char's change is the sum of its parts' minus one).
// That crate's tables are Unicode 9.0: later code points neither decompose, compose nor reorder
// (found by comparing every code point with tokenizers).
constexpr int kNormalizationMajor = 9, kNormalizationMinor = 0;

bool KnownToNormalization(char32_t c) { return c < 0x0300 || unicode::AssignedBy(c, kNormalizationMajor, kNormalizationMinor); }

// The crate's is_combining_mark: general category M as of Unicode 9.0 (U+1CF2 and U+1CF3 were
// marks then, U+111C9 was not; found by comparing every code point).
bool IsCombiningMark(char32_t c) {
  if (c == 0x1CF2 || c == 0x1CF3) return true;
  if (c == 0x111C9) return false;
  return unicode::IsMark(c) && KnownToNormalization(c);
}

uint8_t CombiningClass(char32_t c) { return KnownToNormalization(c) ? unicode::CombiningClass(c) : 0; }

char32_t Compose(char32_t a, char32_t b) {
  if (!KnownToNormalization(a) || !KnownToNormalization(b)) return 0;
  const char32_t composed = unicode::Compose(a, b);
  return composed != 0 && KnownToNormalization(composed) ? composed : 0;
}

struct Decomposed {
  char32_t c;
  int32_t change;
  uint8_t ccc;
};

std::vector<Decomposed> Decompose(const std::u32string& chars, bool compatibility) {
  std::vector<Decomposed> out;
  out.reserve(chars.size());
  size_t ready = 0;  // chars before this are in canonical order
  auto sort_pending = [&]() {
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(ready), out.end(),
                     [](const Decomposed& a, const Decomposed& b) { return a.ccc < b.ccc; });
    ready = out.size();
  };
  std::u32string decomposition;
  for (char32_t c : chars) {
    decomposition.clear();
    if (!KnownToNormalization(c)) {
      decomposition.push_back(c);
    } else if (compatibility) {
      unicode::AppendCompatDecomposition(c, &decomposition);
    } else {
      unicode::AppendDecomposition(c, &decomposition);
    }
    bool first = true;
    for (char32_t d : decomposition) {
      const uint8_t ccc = CombiningClass(d);
      if (ccc == 0) sort_pending();
      out.push_back(Decomposed{d, first ? 0 : 1, ccc});
      first = false;
    }
  }
  sort_pending();
  return out;
}

std::vector<Change> Recompose(const std::vector<Decomposed>& decomposed) {
  std::vector<Change> out;
  out.reserve(decomposed.size());
  bool have_composee = false;
  Change composee{0, 0};
  int last_ccc = -1;  // -1: none since the composee
  std::vector<Change> blocked;
  for (const Decomposed& d : decomposed) {
    const Change ch{d.c, d.change};
    if (!have_composee) {
      if (d.ccc != 0) {
        out.push_back(ch);
        continue;
      }
      composee = ch;
      have_composee = true;
      continue;
    }
    if (last_ccc < 0) {
      if (const char32_t composed = Compose(composee.c, d.c)) {
        composee = Change{composed, composee.change + ch.change - 1};
        continue;
      }
      if (d.ccc == 0) {
        out.push_back(composee);
        composee = ch;
        continue;
      }
      blocked.push_back(ch);
      last_ccc = d.ccc;
      continue;
    }
    if (last_ccc >= d.ccc) {  // blocked from the composee
      if (d.ccc == 0) {
        out.push_back(composee);
        out.insert(out.end(), blocked.begin(), blocked.end());
        blocked.clear();
        composee = ch;
        last_ccc = -1;
        continue;
      }
      blocked.push_back(ch);
      last_ccc = d.ccc;
      continue;
    }
    if (const char32_t composed = Compose(composee.c, d.c)) {
      composee = Change{composed, composee.change + ch.change - 1};
      continue;
    }
    blocked.push_back(ch);
    last_ccc = d.ccc;
  }
  if (have_composee) out.push_back(composee);
  out.insert(out.end(), blocked.begin(), blocked.end());
  return out;
}

enum class Form { kNFD, kNFKD, kNFC, kNFKC };

void Normalize(NormalizedString* text, Form form) {
  const bool compatibility = form == Form::kNFKD || form == Form::kNFKC;
  std::vector<Decomposed> decomposed = Decompose(text->chars, compatibility);
  if (form == Form::kNFC || form == Form::kNFKC) {
    text->Transform(Recompose(decomposed), 0);
    return;
  }
  std::vector<Change> changes;
  changes.reserve(decomposed.size());
  for (const Decomposed& d : decomposed) changes.push_back(Change{d.c, d.change});
  text->Transform(changes, 0);
}

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(Form form) : form_(form) {}
  Status Normalize(NormalizedString* text) const override {
    ::bt::tokenizers::Normalize(text, form_);
    return Status::Ok();
  }

 private:
  Form form_;
};

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

  Status Normalize(NormalizedString* text) const override {
    if (clean_text_) CleanText(text);
    if (handle_chinese_chars_) SpaceChineseChars(text);
    if (strip_accents_) {
      ::bt::tokenizers::Normalize(text, Form::kNFD);
      RewriteEach(text, [](char32_t c, std::u32string* out) {
        if (!unicode::IsBertNonspacingMark(c)) out->push_back(c);
      });
    }
    if (lowercase_) Lowercase(text);
    return Status::Ok();
  }

 private:
  // Drops NUL, U+FFFD and "other" chars (Cc, Cf, Cs, Co as of Unicode 8.0, but not \t \n \r); every
  // whitespace char becomes a plain space.
  static void CleanText(NormalizedString* text) {
    RewriteEach(text, [](char32_t c, std::u32string* out) {
      const bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
      if (c == 0 || c == 0xFFFD || (!tab_or_newline && unicode::IsBertOther(c))) return;
      out->push_back(unicode::IsWhitespace(c) ? U' ' : c);
    });
  }

  // Surrounds each CJK ideograph with spaces (Hugging Face's (' ', 0), (c, 1), (' ', 1): all
  // three take the ideograph's span).
  static void SpaceChineseChars(NormalizedString* text) {
    RewriteEach(text, [](char32_t c, std::u32string* out) {
      if (IsChineseChar(c)) {
        out->append({U' ', c, U' '});
      } else {
        out->push_back(c);
      }
    });
  }

  bool clean_text_, handle_chinese_chars_, strip_accents_, lowercase_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  Status Normalize(NormalizedString* text) const override {
    Lowercase(text);
    return Status::Ok();
  }
};

// Drops every combining mark (general category M, as of the normalization crate's Unicode 9.0);
// configurations put NFD or NFKD before it.
class StripAccentsNormalizer final : public Normalizer {
 public:
  Status Normalize(NormalizedString* text) const override {
    RewriteEach(text, [](char32_t c, std::u32string* out) {
      if (!IsCombiningMark(c)) out->push_back(c);
    });
    return Status::Ok();
  }
};

// Removes leading and/or trailing whitespace.
class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  Status Normalize(NormalizedString* text) const override {
    size_t begin = 0, end = text->size();
    if (left_) {
      while (begin < end && unicode::IsWhitespace(text->chars[begin])) ++begin;
    }
    if (right_) {
      while (end > begin && unicode::IsWhitespace(text->chars[end - 1])) --end;
    }
    if (begin == 0 && end == text->size()) return Status::Ok();
    text->chars = text->chars.substr(begin, end - begin);
    text->spans = std::vector<Span>(text->spans.begin() + static_cast<std::ptrdiff_t>(begin),
                                    text->spans.begin() + static_cast<std::ptrdiff_t>(end));
    return Status::Ok();
  }

 private:
  bool left_, right_;
};

// Puts a string in front of non-empty text; its chars take the first char's span.
class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::u32string prefix) : prefix_(std::move(prefix)) {}
  Status Normalize(NormalizedString* text) const override {
    if (text->empty() || prefix_.empty()) return Status::Ok();
    std::vector<Change> changes;
    for (size_t i = 0; i < prefix_.size(); ++i) changes.push_back(Change{prefix_[i], i == 0 ? 0 : 1});
    changes.push_back(Change{text->chars[0], 1});
    text->TransformRange(0, 1, changes, 0);
    return Status::Ok();
  }

 private:
  std::u32string prefix_;
};

// SentencePiece's control-char cleanup (tokenizers' Nmt normalizer).
class NmtNormalizer final : public Normalizer {
 public:
  Status Normalize(NormalizedString* text) const override {
    RewriteEach(text, [](char32_t c, std::u32string* out) {
      if ((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F || c == 0x9F) return;
      const bool to_space = c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
                            (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
                            c == 0xFEFF || c == 0xFFFD;
      out->push_back(to_space ? U' ' : c);
    });
    return Status::Ok();
  }
};

// Every char becomes the byte-level chars of its UTF-8 bytes (tokenizers' ByteLevel normalizer).
class ByteLevelNormalizer final : public Normalizer {
 public:
  Status Normalize(NormalizedString* text) const override {
    RewriteEach(text, [](char32_t c, std::u32string* out) {
      std::string bytes;
      AppendUtf8(c, &bytes);
      for (char b : bytes) out->push_back(byte_level::ByteToChar(static_cast<uint8_t>(b)));
    });
    return Status::Ok();
  }
};

// Replaces every match of a literal string or a regex. The replacement chars take the span of the
// last char of the match (an empty match: of the char before it), as Hugging Face aligns them.
class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(Regex pattern, std::u32string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}

  Status Normalize(NormalizedString* text) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    BT_RETURN_IF_ERROR(pattern_.FindAll(text->chars, &matches));
    if (matches.empty()) return Status::Ok();
    NormalizedString out;
    out.origin = text->origin;
    size_t last = 0;
    for (const auto& [begin, end] : matches) {
      for (size_t i = last; i < begin; ++i) out.Append(text->chars[i], text->spans[i]);
      const Span span = end >= 1 ? text->spans[end - 1] : Span{text->origin, text->origin};
      for (char32_t c : content_) out.Append(c, span);
      last = end;
    }
    for (size_t i = last; i < text->size(); ++i) out.Append(text->chars[i], text->spans[i]);
    *text = std::move(out);
    return Status::Ok();
  }

 private:
  Regex pattern_;
  std::u32string content_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  Status Normalize(NormalizedString* text) const override {
    for (const auto& step : steps_) BT_RETURN_IF_ERROR(step->Normalize(text));
    return Status::Ok();
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

Result<std::unique_ptr<Normalizer>> ReplaceFromJson(const Json& config, const std::string& path) {
  BT_ASSIGN_OR_RETURN(Regex pattern, PatternFromJson(config, path));
  BT_ASSIGN_OR_RETURN(std::string content, RequiredString(config, path, "content"));
  auto content_chars = DecodeUtf8(content);
  if (!content_chars.ok()) return FieldError(path + ".content", "not valid UTF-8");
  return std::unique_ptr<Normalizer>(
      std::make_unique<ReplaceNormalizer>(std::move(pattern), std::move(content_chars).value()));
}

}  // namespace

Result<Regex> PatternFromJson(const Json& config, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const Json* pattern, RequiredField(config, path, "pattern"));
  const Json* literal = OptionalField(*pattern, "String");
  const Json* regex = OptionalField(*pattern, "Regex");
  if ((literal == nullptr) == (regex == nullptr) || !(literal ? literal : regex)->is_string()) {
    return FieldError(path + ".pattern", "expected {\"String\": text} or {\"Regex\": pattern}");
  }
  auto chars = DecodeUtf8((literal ? literal : regex)->get<std::string>());
  if (!chars.ok()) return FieldError(path + ".pattern", "not valid UTF-8");
  if (literal != nullptr) return Regex::Literal(chars.value());
  auto compiled = Regex::Compile(chars.value());
  if (!compiled.ok()) return compiled.status().WithContext(path + ".pattern.Regex");
  return compiled;
}

Result<std::unique_ptr<Normalizer>> NormalizerFromJson(const Json* config, const std::string& path) {
  if (config == nullptr) return std::unique_ptr<Normalizer>();
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(*config, path, "type"));
  auto make = [](auto normalizer) { return Result<std::unique_ptr<Normalizer>>(std::unique_ptr<Normalizer>(std::move(normalizer))); };
  if (type == "BertNormalizer") return BertFromJson(*config, path);
  if (type == "Lowercase") return make(std::make_unique<LowercaseNormalizer>());
  if (type == "StripAccents") return make(std::make_unique<StripAccentsNormalizer>());
  if (type == "NFD") return make(std::make_unique<UnicodeNormalizer>(Form::kNFD));
  if (type == "NFKD") return make(std::make_unique<UnicodeNormalizer>(Form::kNFKD));
  if (type == "NFC") return make(std::make_unique<UnicodeNormalizer>(Form::kNFC));
  if (type == "NFKC") return make(std::make_unique<UnicodeNormalizer>(Form::kNFKC));
  if (type == "Nmt") return make(std::make_unique<NmtNormalizer>());
  if (type == "ByteLevel") return make(std::make_unique<ByteLevelNormalizer>());
  if (type == "Strip") {
    bool left = true, right = true;
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "strip_left", &left));
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "strip_right", &right));
    return make(std::make_unique<StripNormalizer>(left, right));
  }
  if (type == "Prepend") {
    BT_ASSIGN_OR_RETURN(std::string prefix, RequiredString(*config, path, "prepend"));
    auto chars = DecodeUtf8(prefix);
    if (!chars.ok()) return FieldError(path + ".prepend", "not valid UTF-8");
    return make(std::make_unique<PrependNormalizer>(std::move(chars).value()));
  }
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
    return make(std::make_unique<SequenceNormalizer>(std::move(steps)));
  }
  return FieldError(path + ".type", "unsupported normalizer '" + type + "'");
}

}  // namespace bt::tokenizers
