// Tokenizer: text -> ids, the first stage of text -> tokenizer -> encoder -> head -> result.
// Built from a Hugging Face `tokenizer.json` (normalizer, pre_tokenizer, model, post_processor,
// decoder, added_tokens). Offsets are in Unicode code points of the original text, as Hugging
// Face reports them; the JS layer converts them to UTF-16 indices.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace bt {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<std::string> tokens;
  // [start, end) in code points of the sequence the token came from; (0,0) for special tokens.
  std::vector<std::pair<int32_t, int32_t>> offsets;
  // Which input sequence each token came from: 0, 1, or -1 for special tokens.
  std::vector<int32_t> sequence_ids;
  // Index of the pre-tokenized word within its sequence, -1 for special tokens.
  std::vector<int32_t> word_ids;
  // 1 for every token (no padding inside an Encoding; batching pads).
  std::vector<int32_t> attention_mask;
  bool truncated = false;  // the input did not fit max_length and was cut
};

enum class TruncationSide { kLongestFirst, kOnlyFirst, kOnlySecond };

struct EncodeOptions {
  bool add_special_tokens = true;
  bool truncation = false;
  int32_t max_length = 0;  // 0 = the tokenizer's model_max_length when truncation is on
  TruncationSide truncation_strategy = TruncationSide::kLongestFirst;
};

// Which end of a batch row the padding goes to. Right for most models; XLNet pads on the left.
enum class PaddingSide { kRight, kLeft };

struct WindowOptions {
  int32_t max_length = 384;
  int32_t stride = 128;  // tokens shared by consecutive context windows
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Parses tokenizer.json. Errors name the field that is wrong.
  static Result<std::unique_ptr<Tokenizer>> FromJson(std::string_view tokenizer_json);
  // Byte-level BPE from GPT-2/RoBERTa-style vocab.json + merges.txt, set up as the `tokenizers`
  // library sets up a RoBERTa tokenizer: ByteLevel pre-tokenizer without prefix space,
  // RobertaProcessing (<s> A </s></s> B </s>, trimmed offsets), ByteLevel decoder, and
  // <s> <pad> </s> <unk> <mask> as special tokens when the vocab has them.
  static Result<std::unique_ptr<Tokenizer>> FromBpeFiles(std::string_view vocab_json, std::string_view merges_txt);
  // SentencePiece unigram model from the bytes of a `.model` file, encoding exactly as the
  // sentencepiece library does (its normalizer, user-defined symbols, unknown pieces fused).
  // Special tokens follow ALBERT ([CLS] A [SEP] B [SEP]) when the model has [CLS] and [SEP]
  // pieces; otherwise none are added.
  static Result<std::unique_ptr<Tokenizer>> FromSentencePiece(std::string_view model_proto);

  // Text must be valid UTF-8 (error otherwise). Empty text gives just the special tokens.
  virtual Result<Encoding> Encode(std::string_view text, const EncodeOptions& options) const = 0;
  virtual Result<Encoding> EncodePair(std::string_view first, std::string_view second,
                                      const EncodeOptions& options) const = 0;
  // Question/context windows as transformers' QA preprocessing builds them (truncation
  // only_second + return_overflowing_tokens): [CLS] q [SEP] chunk [SEP], each chunk holding
  // max_length - len(q) - 3 tokens and starting `stride` tokens before the previous one ended.
  virtual Result<std::vector<Encoding>> EncodeWindows(std::string_view question, std::string_view context,
                                                      const WindowOptions& options) const = 0;

  virtual std::string Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const = 0;
  virtual std::string IdToToken(int32_t id) const = 0;    // "" when out of range
  virtual int32_t TokenToId(std::string_view token) const = 0;  // -1 when unknown
  virtual bool IsSpecial(int32_t id) const = 0;
  virtual int32_t vocab_size() const = 0;
  virtual int32_t pad_id() const = 0;
  virtual int32_t mask_id() const = 0;  // -1 when the vocabulary has no mask token
  virtual std::string mask_token() const = 0;
  virtual int32_t model_max_length() const = 0;  // 0 when unknown (use config max positions)
  virtual void set_model_max_length(int32_t n) = 0;  // from tokenizer_config.json

  // Batch padding as transformers applies it: the side (tokenizer_config.json `padding_side`,
  // else the model type's default — left for XLNet — else tokenizer.json's padding direction,
  // else right) and the token type id of padding positions (3 for XLNet, else 0).
  virtual PaddingSide padding_side() const = 0;
  virtual int32_t pad_type_id() const = 0;
  // Reads tokenizer_config.json (may be empty) for a model of `model_type` (config.json).
  virtual Status ApplyTokenizerConfig(std::string_view tokenizer_config_json, std::string_view model_type) = 0;
};

}  // namespace bt
