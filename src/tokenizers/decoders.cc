#include "tokenizers/decoders.h"

#include <utility>

#include "tokenizers/byte_level.h"
#include "tokenizers/metaspace.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
  }
}

// Hugging Face's `cleanup` (tokenizers::decoders::wordpiece::cleanup): the spaces that joining
// put before punctuation and contractions.
void CleanUpTokenization(std::string* text) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},       {" ,", ","},     {" ' ", "'"},   {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kRules) ReplaceAll(text, from, to);
}

// Joins with spaces except before continuation pieces, whose prefix is dropped.
class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}

  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& token = (*tokens)[i];
      if (i > 0) {
        if (token.compare(0, prefix_.size(), prefix_) == 0) {
          token.erase(0, prefix_.size());
        } else {
          token = " " + token;
        }
      }
      // Per token, as Hugging Face does it: " ' " can therefore never match across tokens.
      if (cleanup_) CleanUpTokenization(&token);
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

// Byte-level BPE: every char stands for a byte; the bytes of all tokens form the UTF-8 text.
// A token with a char outside the byte alphabet (an added token) contributes its own bytes.
class ByteLevelDecoder final : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::string bytes;
    for (const std::string& token : *tokens) {
      auto chars = DecodeUtf8(token);
      std::string token_bytes;
      bool all_mapped = chars.ok();
      for (size_t i = 0; all_mapped && i < chars.value().size(); ++i) {
        const int32_t byte = byte_level::CharToByte(chars.value()[i]);
        all_mapped = byte >= 0;
        token_bytes.push_back(static_cast<char>(byte));
      }
      bytes += all_mapped ? token_bytes : token;
    }
    *tokens = {SanitizeUtf8(bytes)};
  }
};

// SentencePiece's word boundary mark becomes a space; the one in front of the text is dropped.
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool strip_first) : replacement_(replacement), strip_first_(strip_first) {}

  void DecodeChain(std::vector<std::string>* tokens) const override {
    const std::string mark = EncodeUtf8(std::u32string(1, replacement_));
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& token = (*tokens)[i];
      ReplaceAll(&token, mark, " ");
      if (i == 0 && strip_first_ && !token.empty() && token[0] == ' ') token.erase(0, 1);
    }
  }

 private:
  char32_t replacement_;
  bool strip_first_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (const auto& step : steps_) step->DecodeChain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> DecoderFromJson(const Json* config, const std::string& path) {
  if (config == nullptr) return std::unique_ptr<Decoder>();
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(*config, path, "type"));
  if (type == "WordPiece") {
    std::string prefix = "##";
    bool cleanup = true;
    BT_RETURN_IF_ERROR(ReadString(*config, path, "prefix", &prefix));
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "cleanup", &cleanup));
    return std::unique_ptr<Decoder>(std::make_unique<WordPieceDecoder>(std::move(prefix), cleanup));
  }
  if (type == "ByteLevel") return std::unique_ptr<Decoder>(std::make_unique<ByteLevelDecoder>());
  if (type == "Metaspace") {
    BT_ASSIGN_OR_RETURN(MetaspaceOptions options, MetaspaceFromJson(*config, path));
    return std::unique_ptr<Decoder>(std::make_unique<MetaspaceDecoder>(
        options.replacement, options.prepend != MetaspacePrepend::kNever));
  }
  if (type == "Sequence") {
    BT_ASSIGN_OR_RETURN(const Json* list, RequiredField(*config, path, "decoders"));
    if (!list->is_array()) return FieldError(path + ".decoders", "expected an array");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      BT_ASSIGN_OR_RETURN(auto step, DecoderFromJson(&(*list)[i], path + ".decoders[" + std::to_string(i) + "]"));
      if (step) steps.push_back(std::move(step));
    }
    return std::unique_ptr<Decoder>(std::make_unique<SequenceDecoder>(std::move(steps)));
  }
  return FieldError(path + ".type", "unsupported decoder '" + type + "'");
}

std::string DecodeTokens(const Decoder* decoder, std::vector<std::string> tokens) {
  std::string text;
  if (decoder == nullptr) {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i > 0 ? " " : "") + tokens[i];
    return text;
  }
  decoder->DecodeChain(&tokens);
  for (const std::string& token : tokens) text += token;
  return text;
}

}  // namespace bt::tokenizers
