// WordPiece (BERT): greedy longest-match-first over the vocabulary, continuation pieces carry
// a prefix ("##"); a word with any unmatched remainder, or longer than
// max_input_chars_per_word, becomes a single unknown token.
#pragma once

#include "tokenizers/model.h"

namespace bt::tokenizers {

class WordPiece final : public SubwordModel {
 public:
  WordPiece(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
            int32_t max_input_chars_per_word);
  // `vocab`: config["vocab"] already read (ModelFromJson), or null.
  static Result<std::unique_ptr<SubwordModel>> FromJson(const Json& config, const std::string& path, Vocab* vocab = nullptr);

  Status Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const override;
  int32_t TokenToId(std::string_view token) const override { return vocab_.Find(token); }
  std::string IdToToken(int32_t id) const override { return vocab_.Token(id); }
  int32_t vocab_size() const override { return vocab_.size(); }

 private:
  Vocab vocab_;
  std::string unk_token_;
  std::string prefix_;
  int32_t max_input_chars_per_word_;
};

}  // namespace bt::tokenizers
