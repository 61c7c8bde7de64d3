// The Tokenizer assembled from Hugging Face's pipeline stages: added tokens are cut out of the
// raw text, the rest is normalized, pre-tokenized into words and split by the model; then
// truncation and the post-processor's special tokens. Every tokenizer family is this class with
// different stages.
#pragma once

#include <memory>
#include <optional>

#include "tokenizers/added_tokens.h"
#include "tokenizers/decoders.h"
#include "tokenizers/model.h"
#include "tokenizers/normalizers.h"
#include "tokenizers/post_processors.h"
#include "tokenizers/pre_tokenizers.h"
#include "tokenizers/tokenizer.h"

namespace bt::tokenizers {

struct PipelineParts {
  std::unique_ptr<Normalizer> normalizer;      // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;  // may be null: each piece is one word
  std::unique_ptr<SubwordModel> model;         // required
  PostProcessor post_processor;
  std::unique_ptr<Decoder> decoder;  // may be null
  AddedVocabulary added;
  int32_t model_max_length = 0;
  int32_t pad_id = -1;  // -1: look for [PAD] / <pad>
  // tokenizer.json's `padding` (the tokenizers library's own padding settings), when present.
  bool has_padding = false;
  PaddingSide padding_direction = PaddingSide::kRight;
  int32_t padding_type_id = 0;
};

class PipelineTokenizer final : public Tokenizer {
 public:
  explicit PipelineTokenizer(PipelineParts parts);

  Result<Encoding> Encode(std::string_view text, const EncodeOptions& options) const override;
  Result<Encoding> EncodePair(std::string_view first, std::string_view second,
                              const EncodeOptions& options) const override;
  Result<std::vector<Encoding>> EncodeWindows(std::string_view question, std::string_view context,
                                              const WindowOptions& options) const override;

  std::string Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  std::string IdToToken(int32_t id) const override;
  int32_t TokenToId(std::string_view token) const override;
  bool IsSpecial(int32_t id) const override;
  int32_t vocab_size() const override;
  int32_t pad_id() const override { return pad_id_; }
  int32_t mask_id() const override { return mask_id_; }
  std::string mask_token() const override { return mask_id_ < 0 ? std::string() : IdToToken(mask_id_); }
  int32_t model_max_length() const override { return parts_.model_max_length; }
  void set_model_max_length(int32_t n) override { parts_.model_max_length = n; }
  PaddingSide padding_side() const override { return padding_side_; }
  int32_t pad_type_id() const override { return pad_type_id_; }
  Status ApplyTokenizerConfig(std::string_view tokenizer_config_json, std::string_view model_type) override;

 private:
  // One sequence's tokens without special tokens; type ids are filled by the post-processor.
  Result<Encoding> EncodeSequence(std::string_view text) const;
  Status TokenizePiece(const NormalizedString& piece, int32_t* word, Encoding* out) const;
  Result<Encoding> Finish(Encoding first, std::optional<Encoding> second, const EncodeOptions& options) const;
  // The first id among `candidates` that the vocabulary knows, or -1.
  int32_t FindFirst(std::initializer_list<const char*> candidates) const;

  PipelineParts parts_;
  int32_t pad_id_;
  int32_t mask_id_;
  PaddingSide padding_side_ = PaddingSide::kRight;
  int32_t pad_type_id_ = 0;
};

}  // namespace bt::tokenizers
