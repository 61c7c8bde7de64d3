#include "tokenizers/pre_tokenizers.h"

#include <algorithm>
#include <utility>

#include "tokenizers/byte_level.h"
#include "tokenizers/metaspace.h"
#include "tokenizers/normalizers.h"
#include "tokenizers/regex.h"
#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

// Hugging Face's SplitDelimiterBehavior.
enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Result<Behavior> BehaviorFromJson(const Json& config, const std::string& path, Behavior fallback, bool required) {
  const Json* field = OptionalField(config, "behavior");
  if (field == nullptr) {
    if (required) return FieldError(path + ".behavior", "missing");
    return fallback;
  }
  if (field->is_string()) {
    const std::string name = field->get<std::string>();
    if (name == "Removed") return Behavior::kRemoved;
    if (name == "Isolated") return Behavior::kIsolated;
    if (name == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
    if (name == "MergedWithNext") return Behavior::kMergedWithNext;
    if (name == "Contiguous") return Behavior::kContiguous;
  }
  return FieldError(path + ".behavior", "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
}

// A stretch of a piece: a delimiter match or the text between matches (Hugging Face's
// find_matches output, covering the piece in order).
struct Segment {
  size_t begin, end;
  bool match;
};

std::vector<Segment> SegmentsFromMatches(size_t size, const std::vector<std::pair<size_t, size_t>>& matches) {
  std::vector<Segment> segments;
  if (size == 0) return {Segment{0, 0, false}};
  size_t previous = 0;
  for (const auto& [begin, end] : matches) {
    if (previous != begin) segments.push_back(Segment{previous, begin, false});
    segments.push_back(Segment{begin, end, true});
    previous = end;
  }
  if (previous != size) segments.push_back(Segment{previous, size, false});
  return segments;
}

template <class Pred>
std::vector<Segment> SegmentsWhere(std::u32string_view text, Pred is_delimiter) {
  std::vector<std::pair<size_t, size_t>> matches;
  for (size_t i = 0; i < text.size(); ++i) {
    if (is_delimiter(text[i])) matches.emplace_back(i, i + 1);
  }
  return SegmentsFromMatches(text.size(), matches);
}

// Hugging Face's NormalizedString::split: groups the segments by the behavior and appends the
// non-empty slices.
void SplitBy(const NormalizedString& piece, std::vector<Segment> segments, Behavior behavior,
             std::vector<NormalizedString>* words) {
  std::vector<Segment> kept;  // `match` here: the segment is removed
  switch (behavior) {
    case Behavior::kIsolated:
      for (Segment s : segments) kept.push_back(Segment{s.begin, s.end, false});
      break;
    case Behavior::kRemoved:
      kept = std::move(segments);
      break;
    case Behavior::kContiguous: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.match == previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back(Segment{s.begin, s.end, false});
        }
        previous_match = s.match;
      }
      break;
    }
    case Behavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.match && !previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back(Segment{s.begin, s.end, false});
        }
        previous_match = s.match;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool previous_match = false;
      for (size_t i = segments.size(); i-- > 0;) {
        const Segment& s = segments[i];
        if (s.match && !previous_match && !kept.empty()) {
          kept.back().begin = s.begin;
        } else {
          kept.push_back(Segment{s.begin, s.end, false});
        }
        previous_match = s.match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    }
  }
  for (const Segment& s : kept) {
    if (!s.match && s.begin < s.end) words->push_back(piece.Slice(s.begin, s.end));
  }
}

class BertPreTokenizer final : public PreTokenizer {
 public:
  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    std::vector<NormalizedString> spaced;
    SplitBy(piece, SegmentsWhere(piece.chars, unicode::IsWhitespace), Behavior::kRemoved, &spaced);
    for (const NormalizedString& word : spaced) {
      SplitBy(word, SegmentsWhere(word.chars, unicode::IsPunctuation), Behavior::kIsolated, words);
    }
    return Status::Ok();
  }
};

// A char predicate with a fixed behavior: WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit.
template <class Pred>
class PredicateSplit final : public PreTokenizer {
 public:
  PredicateSplit(Pred pred, Behavior behavior) : pred_(pred), behavior_(behavior) {}
  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    SplitBy(piece, SegmentsWhere(piece.chars, pred_), behavior_, words);
    return Status::Ok();
  }

 private:
  Pred pred_;
  Behavior behavior_;
};

template <class Pred>
std::unique_ptr<PreTokenizer> MakePredicateSplit(Pred pred, Behavior behavior) {
  return std::make_unique<PredicateSplit<Pred>>(pred, behavior);
}

// `\w+|[^\w\s]+` (the regex crate's Unicode \w and \s) kept, everything else removed.
class WhitespacePreTokenizer final : public PreTokenizer {
 public:
  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    const std::u32string& text = piece.chars;
    for (size_t at = 0; at < text.size();) {
      size_t end = at;
      if (unicode::IsWordChar(text[at])) {
        while (end < text.size() && unicode::IsWordChar(text[end])) ++end;
      } else if (!unicode::IsWhitespace(text[at])) {
        while (end < text.size() && !unicode::IsWordChar(text[end]) && !unicode::IsWhitespace(text[end])) ++end;
      } else {
        ++at;
        continue;
      }
      words->push_back(piece.Slice(at, end));
      at = end;
    }
    return Status::Ok();
  }
};

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(Regex pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    BT_RETURN_IF_ERROR(pattern_.FindAll(piece.chars, &matches));
    std::vector<Segment> segments = SegmentsFromMatches(piece.size(), matches);
    if (invert_) {
      for (Segment& s : segments) s.match = !s.match;
    }
    SplitBy(piece, std::move(segments), behavior_, words);
    return Status::Ok();
  }

 private:
  Regex pattern_;
  Behavior behavior_;
  bool invert_;
};

// Hugging Face's UnicodeScripts: a new word wherever the script changes, ignoring spaces (and
// chars its Unicode 9.0 table does not know); Hiragana, Katakana and U+30FC count as Han. Words
// start at a char with a script, so chars without one before it are dropped (as there).
class UnicodeScriptsPreTokenizer final : public PreTokenizer {
 public:
  UnicodeScriptsPreTokenizer()
      : han_(unicode::ScriptByName("Han")),
        common_(unicode::ScriptByName("Common")),
        devanagari_(unicode::ScriptByName("Devanagari")),
        hiragana_(unicode::ScriptByName("Hiragana")),
        katakana_(unicode::ScriptByName("Katakana")) {}

  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    int last = kNone;
    size_t start = piece.size();  // no word has started yet
    for (size_t i = 0; i < piece.size(); ++i) {
      const int script = ScriptOf(piece.chars[i]);
      if (script == kAny) continue;
      if (last != script) {
        if (start < i) words->push_back(piece.Slice(start, i));
        start = i;
      }
      last = script;
    }
    if (start < piece.size()) words->push_back(piece.Slice(start, piece.size()));
    return Status::Ok();
  }

 private:
  static constexpr int kAny = -1;
  static constexpr int kNone = -2;

  int ScriptOf(char32_t c) const {
    if (c == 0x30FC) return han_;
    // Unicode 9.0 scripts that later versions changed (found by comparing every code point).
    if (c == 0x0589 || c == 0x061C) return common_;
    if (c == 0x0953 || c == 0x0954) return devanagari_;
    if (c == ' ' || !unicode::AssignedBy(c, 9, 0)) return kAny;
    const int script = unicode::ScriptOf(c);
    if (script == 0) return kAny;  // Unknown: not in the table
    return script == hiragana_ || script == katakana_ ? han_ : script;
  }

  int han_, common_, devanagari_, hiragana_, katakana_;
};

// GPT-2/RoBERTa: optional leading space, the GPT-2 word pattern, then every char becomes the
// byte-level chars of its UTF-8 bytes (all tied to the char, so offsets stay in code points).
class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}

  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    NormalizedString text = piece;
    if (add_prefix_space_ && !text.empty() && text.chars[0] != U' ') {
      text.TransformRange(0, 1, {Change{U' ', 0}, Change{text.chars[0], 1}}, 0);
    }
    std::vector<std::pair<size_t, size_t>> ranges{{0, text.size()}};
    if (use_regex_) ranges = byte_level::SplitGpt2(text.chars);
    for (const auto& [begin, end] : ranges) {
      if (begin == end) continue;
      NormalizedString word = text.Slice(begin, end);
      NormalizedString bytes;
      bytes.origin = word.origin;
      std::string utf8;
      for (size_t i = 0; i < word.size(); ++i) {
        utf8.clear();
        AppendUtf8(word.chars[i], &utf8);
        for (char byte : utf8) bytes.Append(byte_level::ByteToChar(static_cast<uint8_t>(byte)), word.spans[i]);
      }
      words->push_back(std::move(bytes));
    }
    return Status::Ok();
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
};

// SentencePiece-style: spaces become the mark, a mark is put in front (per `prepend_scheme`:
// every piece, only the piece at the start of the text, or none), and each mark starts a new word.
class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  explicit MetaspacePreTokenizer(MetaspaceOptions options) : options_(options) {}

  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    NormalizedString text = piece;
    for (char32_t& c : text.chars) {
      if (c == U' ') c = options_.replacement;
    }
    const bool prepend = !text.empty() && text.chars[0] != options_.replacement &&
                         (options_.prepend == MetaspacePrepend::kAlways ||
                          (options_.prepend == MetaspacePrepend::kFirst && text.origin == 0));
    if (prepend) text.TransformRange(0, 1, {Change{options_.replacement, 0}, Change{text.chars[0], 1}}, 0);
    if (!options_.split) {
      if (!text.empty()) words->push_back(std::move(text));
      return Status::Ok();
    }
    const char32_t mark = options_.replacement;
    SplitBy(text, SegmentsWhere(text.chars, [mark](char32_t c) { return c == mark; }), Behavior::kMergedWithNext,
            words);
    return Status::Ok();
  }

 private:
  MetaspaceOptions options_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}

  Status Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    std::vector<NormalizedString> current{piece};
    for (const auto& step : steps_) {
      std::vector<NormalizedString> next;
      for (const NormalizedString& word : current) BT_RETURN_IF_ERROR(step->Split(word, &next));
      current = std::move(next);
    }
    for (NormalizedString& word : current) {
      if (!word.empty()) words->push_back(std::move(word));
    }
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

Result<std::unique_ptr<PreTokenizer>> PreTokenizerFromJson(const Json* config, const std::string& path) {
  if (config == nullptr) return std::unique_ptr<PreTokenizer>();
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(*config, path, "type"));
  using Ptr = std::unique_ptr<PreTokenizer>;
  if (type == "BertPreTokenizer") return Ptr(std::make_unique<BertPreTokenizer>());
  if (type == "Whitespace") return Ptr(std::make_unique<WhitespacePreTokenizer>());
  if (type == "WhitespaceSplit") return MakePredicateSplit(unicode::IsWhitespace, Behavior::kRemoved);
  if (type == "Punctuation") {
    BT_ASSIGN_OR_RETURN(Behavior behavior, BehaviorFromJson(*config, path, Behavior::kIsolated, false));
    return MakePredicateSplit(unicode::IsPunctuation, behavior);
  }
  if (type == "Digits") {
    bool individual = false;
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "individual_digits", &individual));
    return MakePredicateSplit(unicode::IsNumeric, individual ? Behavior::kIsolated : Behavior::kContiguous);
  }
  if (type == "CharDelimiterSplit") {
    BT_ASSIGN_OR_RETURN(std::string delimiter, RequiredString(*config, path, "delimiter"));
    auto chars = DecodeUtf8(delimiter);
    if (!chars.ok() || chars.value().size() != 1) return FieldError(path + ".delimiter", "expected one char");
    const char32_t d = chars.value()[0];
    return MakePredicateSplit([d](char32_t c) { return c == d; }, Behavior::kRemoved);
  }
  if (type == "Split") {
    BT_ASSIGN_OR_RETURN(Regex pattern, PatternFromJson(*config, path));
    BT_ASSIGN_OR_RETURN(Behavior behavior, BehaviorFromJson(*config, path, Behavior::kRemoved, true));
    bool invert = false;
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "invert", &invert));
    return Ptr(std::make_unique<SplitPreTokenizer>(std::move(pattern), behavior, invert));
  }
  if (type == "UnicodeScripts") return Ptr(std::make_unique<UnicodeScriptsPreTokenizer>());
  if (type == "ByteLevel") {
    bool add_prefix_space = true, use_regex = true;
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "add_prefix_space", &add_prefix_space));
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "use_regex", &use_regex));
    return Ptr(std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, use_regex));
  }
  if (type == "Metaspace") {
    BT_ASSIGN_OR_RETURN(MetaspaceOptions options, MetaspaceFromJson(*config, path));
    return Ptr(std::make_unique<MetaspacePreTokenizer>(options));
  }
  if (type == "Sequence") {
    BT_ASSIGN_OR_RETURN(const Json* list, RequiredField(*config, path, "pretokenizers"));
    if (!list->is_array()) return FieldError(path + ".pretokenizers", "expected an array");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      BT_ASSIGN_OR_RETURN(auto step,
                          PreTokenizerFromJson(&(*list)[i], path + ".pretokenizers[" + std::to_string(i) + "]"));
      if (step) steps.push_back(std::move(step));
    }
    return Ptr(std::make_unique<SequencePreTokenizer>(std::move(steps)));
  }
  return FieldError(path + ".type", "unsupported pre_tokenizer '" + type + "'");
}

}  // namespace bt::tokenizers
