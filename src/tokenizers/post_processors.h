// Post-processing: joins the encodings of one or two sequences and adds the special tokens.
// BertProcessing, RobertaProcessing, TemplateProcessing and no post-processor at all are the same
// template machinery here: without special tokens each keeps only the template's type ids
// (which for Bert/none are the 0/1 that sequences are created with, and for RoBERTa all 0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/json_util.h"
#include "tokenizers/tokenizer.h"

namespace bt::tokenizers {

class PostProcessor {
 public:
  // tokenizer.json's `post_processor`; null gives plain concatenation.
  static Result<PostProcessor> FromJson(const Json* config, const std::string& path);

  // Special tokens Process adds (what truncation must leave room for).
  int32_t NumAdded(bool pair) const;
  // `first`/`second` are sequence encodings (no special tokens, type ids 0 and 1).
  Encoding Process(Encoding first, std::optional<Encoding> second, bool add_special_tokens) const;

 private:
  struct Piece {
    int32_t sequence = -1;  // 0 = A, 1 = B, -1 = the special token `special`
    std::string special;
    int32_t type_id = 0;
  };
  struct Special {
    std::vector<int32_t> ids;
    std::vector<std::string> tokens;
  };

  static Result<PostProcessor> FromJsonSequence(const Json& config, const std::string& path);
  void TrimOffsets(Encoding* sequence) const;
  static Result<std::vector<Piece>> ParseTemplate(const Json& config, const std::string& path, const char* key);
  const Special* FindSpecial(const std::string& name) const;

  std::vector<Piece> single_{{0, "", 0}};
  std::vector<Piece> pair_{{0, "", 0}, {1, "", 1}};
  std::vector<std::pair<std::string, Special>> specials_;
  // Byte-level offset trimming (RobertaProcessing, ByteLevel): token offsets lose the spaces
  // that the token's leading/trailing "Ġ" stand for.
  bool trim_offsets_ = false;
  bool keep_first_prefix_space_ = true;  // `add_prefix_space`: a single leading space of the first token stays
};

}  // namespace bt::tokenizers
