#include "tokenizers/pre_tokenizers.h"

#include <utility>

#include "tokenizers/byte_level.h"
#include "tokenizers/metaspace.h"
#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

using unicode::CharClass;

// Hugging Face's SplitDelimiterBehavior, the two variants the supported pre-tokenizers use.
enum class Delimiter { kRemoved, kIsolated };

// Cuts `piece` at every char for which `is_delimiter` holds; empty words are not emitted.
template <class Pred>
void SplitOn(const NormalizedString& piece, Pred is_delimiter, Delimiter behavior,
             std::vector<NormalizedString>* words) {
  size_t start = 0;
  for (size_t i = 0; i < piece.size(); ++i) {
    if (!is_delimiter(piece.chars[i])) continue;
    if (start < i) words->push_back(piece.Slice(start, i));
    if (behavior == Delimiter::kIsolated) words->push_back(piece.Slice(i, i + 1));
    start = i + 1;
  }
  if (start < piece.size()) words->push_back(piece.Slice(start, piece.size()));
}

bool IsBertPunctuation(char32_t c) {
  const bool ascii_punct = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
                           (c >= 123 && c <= 126);
  return ascii_punct || unicode::ClassOf(c) == CharClass::kPunctuation;
}

// Whitespace splitting, then every punctuation char becomes a word of its own.
class BertPreTokenizer final : public PreTokenizer {
 public:
  void Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    std::vector<NormalizedString> spaced;
    SplitOn(piece, unicode::IsWhitespace, Delimiter::kRemoved, &spaced);
    for (const NormalizedString& word : spaced) SplitOn(word, IsBertPunctuation, Delimiter::kIsolated, words);
  }
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    SplitOn(piece, unicode::IsWhitespace, Delimiter::kRemoved, words);
  }
};

// GPT-2/RoBERTa: optional leading space, the GPT-2 word pattern, then every char becomes the
// byte-level chars of its UTF-8 bytes (all tied to the char, so offsets stay in code points).
class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}

  void Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    NormalizedString text = piece;
    if (add_prefix_space_ && !text.empty() && text.chars[0] != U' ') {
      text.chars.insert(text.chars.begin(), U' ');
      text.spans.insert(text.spans.begin(), text.spans[0]);  // Hugging Face aligns it to the first char
    }
    std::vector<std::pair<size_t, size_t>> ranges{{0, text.size()}};
    if (use_regex_) ranges = byte_level::SplitGpt2(text.chars);
    for (const auto& [begin, end] : ranges) {
      if (begin == end) continue;
      NormalizedString word;
      std::string bytes;
      for (size_t i = begin; i < end; ++i) {
        bytes.clear();
        AppendUtf8(text.chars[i], &bytes);
        for (char byte : bytes) word.Append(byte_level::ByteToChar(static_cast<uint8_t>(byte)), text.spans[i]);
      }
      words->push_back(std::move(word));
    }
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
};

// SentencePiece-style: spaces become the mark, a mark is put in front (per `prepend`), and each
// mark starts a new word.
class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  explicit MetaspacePreTokenizer(MetaspaceOptions options) : options_(options) {}

  void Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    if (piece.empty()) return;
    NormalizedString text = piece;
    for (char32_t& c : text.chars) {
      if (c == U' ') c = options_.replacement;
    }
    const bool prepend = text.chars[0] != options_.replacement &&
                         (options_.prepend == MetaspacePrepend::kAlways ||
                          (options_.prepend == MetaspacePrepend::kFirst && text.spans[0].first == 0));
    if (prepend) {
      text.chars.insert(text.chars.begin(), options_.replacement);
      text.spans.insert(text.spans.begin(), text.spans[0]);  // aligned to the first char, as in Hugging Face
    }
    if (!options_.split) {
      words->push_back(std::move(text));
      return;
    }
    size_t start = 0;  // the mark stays with the word it starts
    for (size_t i = 1; i < text.size(); ++i) {
      if (text.chars[i] != options_.replacement) continue;
      words->push_back(text.Slice(start, i));
      start = i;
    }
    words->push_back(text.Slice(start, text.size()));
  }

 private:
  MetaspaceOptions options_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}

  void Split(const NormalizedString& piece, std::vector<NormalizedString>* words) const override {
    std::vector<NormalizedString> current{piece};
    for (const auto& step : steps_) {
      std::vector<NormalizedString> next;
      for (const NormalizedString& word : current) step->Split(word, &next);
      current = std::move(next);
    }
    for (NormalizedString& word : current) {
      if (!word.empty()) words->push_back(std::move(word));
    }
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

Result<std::unique_ptr<PreTokenizer>> PreTokenizerFromJson(const Json* config, const std::string& path) {
  if (config == nullptr) return std::unique_ptr<PreTokenizer>();
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(*config, path, "type"));
  if (type == "BertPreTokenizer") return std::unique_ptr<PreTokenizer>(std::make_unique<BertPreTokenizer>());
  if (type == "WhitespaceSplit") return std::unique_ptr<PreTokenizer>(std::make_unique<WhitespaceSplit>());
  if (type == "ByteLevel") {
    bool add_prefix_space = true, use_regex = true;
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "add_prefix_space", &add_prefix_space));
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "use_regex", &use_regex));
    return std::unique_ptr<PreTokenizer>(std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, use_regex));
  }
  if (type == "Metaspace") {
    BT_ASSIGN_OR_RETURN(MetaspaceOptions options, MetaspaceFromJson(*config, path));
    return std::unique_ptr<PreTokenizer>(std::make_unique<MetaspacePreTokenizer>(options));
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
    return std::unique_ptr<PreTokenizer>(std::make_unique<SequencePreTokenizer>(std::move(steps)));
  }
  return FieldError(path + ".type", "unsupported pre_tokenizer '" + type + "'");
}

}  // namespace bt::tokenizers
