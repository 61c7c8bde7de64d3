#include "tokenizers/pre_tokenizers.h"

#include <utility>

#include "tokenizers/unicode.h"

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
