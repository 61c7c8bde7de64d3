#include "tokenizers/decoders.h"

#include <algorithm>
#include <utility>

#include "tokenizers/byte_level.h"
#include "tokenizers/metaspace.h"
#include "tokenizers/normalizers.h"
#include "tokenizers/regex.h"
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

// SentencePiece's word boundary mark becomes a space; in the first token the marks are dropped
// instead (unless the prepend scheme is "never"), as Hugging Face's Metaspace decoder does.
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool strip_first) : replacement_(replacement), strip_first_(strip_first) {}

  void DecodeChain(std::vector<std::string>* tokens) const override {
    const std::string mark = EncodeUtf8(std::u32string(1, replacement_));
    for (size_t i = 0; i < tokens->size(); ++i) ReplaceAll(&(*tokens)[i], mark, i == 0 && strip_first_ ? "" : " ");
  }

 private:
  char32_t replacement_;
  bool strip_first_;
};

// Every match of a literal or regex in each token becomes `content`.
class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(Regex pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}

  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    for (std::string& token : *tokens) {
      auto chars = DecodeUtf8(token);
      if (!chars.ok()) continue;
      matches.clear();
      if (!pattern_.FindAll(chars.value(), &matches).ok() || matches.empty()) continue;
      std::string out;
      size_t last = 0;
      for (const auto& [begin, end] : matches) {
        out += EncodeUtf8(std::u32string_view(chars.value()).substr(last, begin - last));
        out += content_;
        last = end;
      }
      out += EncodeUtf8(std::u32string_view(chars.value()).substr(last));
      token = std::move(out);
    }
  }

 private:
  Regex pattern_;
  std::string content_;
};

// Removes up to `start` leading and `stop` trailing occurrences of one char from each token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}

  void DecodeChain(std::vector<std::string>* tokens) const override {
    for (std::string& token : *tokens) {
      auto decoded = DecodeUtf8(token);
      if (!decoded.ok()) continue;
      const std::u32string& chars = decoded.value();
      size_t begin = 0, end = chars.size();
      while (begin < std::min(start_, chars.size()) && chars[begin] == content_) ++begin;
      for (size_t i = 0; i < stop_ && end > begin && chars[end - 1] == content_; ++i) --end;
      token = EncodeUtf8(std::u32string_view(chars).substr(begin, end - begin));
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

// All tokens become one.
class FuseDecoder final : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::string joined;
    for (const std::string& token : *tokens) joined += token;
    *tokens = {std::move(joined)};
  }
};

// Runs of "<0xHH>" tokens become the text of their bytes (one U+FFFD per byte when the bytes are
// not valid UTF-8).
class ByteFallbackDecoder final : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t count = 0;
    auto flush = [&]() {
      if (count == 0) return;
      if (DecodeUtf8(bytes).ok()) {
        out.push_back(bytes);
      } else {
        for (size_t i = 0; i < count; ++i) out.push_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      count = 0;
    };
    for (std::string& token : *tokens) {
      int value = -1;
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>') value = HexByte(token[3], token[4]);
      if (value >= 0) {
        bytes.push_back(static_cast<char>(value));
        ++count;
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    *tokens = std::move(out);
  }

 private:
  static int HexByte(char a, char b) {
    auto digit = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = digit(a), lo = digit(b);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

// Connectionist temporal classification output: repeats collapse, the pad token disappears, the
// word delimiter becomes a space.
class CtcDecoder final : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)), cleanup_(cleanup) {}

  void DecodeChain(std::vector<std::string>* tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens->size(); ++i) {
      if (i > 0 && (*tokens)[i] == (*tokens)[i - 1]) continue;
      std::string token = (*tokens)[i];
      if (!pad_.empty()) ReplaceAll(&token, pad_, "");
      if (cleanup_) {
        CleanUpTokenization(&token);
        if (!delimiter_.empty()) ReplaceAll(&token, delimiter_, " ");
      }
      if (!token.empty()) out.push_back(std::move(token));
    }
    *tokens = std::move(out);
  }

 private:
  std::string pad_, delimiter_;
  bool cleanup_;
};

// Classic BPE with an end-of-word suffix: the suffix becomes a space (nothing on the last token).
class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void DecodeChain(std::vector<std::string>* tokens) const override {
    if (suffix_.empty()) return;
    for (size_t i = 0; i < tokens->size(); ++i) ReplaceAll(&(*tokens)[i], suffix_, i + 1 == tokens->size() ? "" : " ");
  }

 private:
  std::string suffix_;
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
  if (type == "Replace") {
    BT_ASSIGN_OR_RETURN(Regex pattern, PatternFromJson(*config, path));
    BT_ASSIGN_OR_RETURN(std::string content, RequiredString(*config, path, "content"));
    return std::unique_ptr<Decoder>(std::make_unique<ReplaceDecoder>(std::move(pattern), std::move(content)));
  }
  if (type == "Strip") {
    BT_ASSIGN_OR_RETURN(std::string content, RequiredString(*config, path, "content"));
    auto chars = DecodeUtf8(content);
    if (!chars.ok() || chars.value().size() != 1) return FieldError(path + ".content", "expected one char");
    int64_t start = 0, stop = 0;
    BT_RETURN_IF_ERROR(ReadInt(*config, path, "start", &start));
    BT_RETURN_IF_ERROR(ReadInt(*config, path, "stop", &stop));
    if (start < 0 || stop < 0) return FieldError(path, "start and stop must not be negative");
    return std::unique_ptr<Decoder>(std::make_unique<StripDecoder>(chars.value()[0], static_cast<size_t>(start),
                                                                   static_cast<size_t>(stop)));
  }
  if (type == "Fuse") return std::unique_ptr<Decoder>(std::make_unique<FuseDecoder>());
  if (type == "ByteFallback") return std::unique_ptr<Decoder>(std::make_unique<ByteFallbackDecoder>());
  if (type == "CTC") {
    std::string pad = "<pad>", delimiter = "|";
    bool cleanup = true;
    BT_RETURN_IF_ERROR(ReadString(*config, path, "pad_token", &pad));
    BT_RETURN_IF_ERROR(ReadString(*config, path, "word_delimiter_token", &delimiter));
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "cleanup", &cleanup));
    return std::unique_ptr<Decoder>(std::make_unique<CtcDecoder>(std::move(pad), std::move(delimiter), cleanup));
  }
  if (type == "BPEDecoder") {
    std::string suffix = "</w>";
    BT_RETURN_IF_ERROR(ReadString(*config, path, "suffix", &suffix));
    return std::unique_ptr<Decoder>(std::make_unique<BpeDecoder>(std::move(suffix)));
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
