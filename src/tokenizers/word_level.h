// WordLevel: each pre-tokenized word is one vocabulary entry, or the unknown token.
#pragma once

#include "tokenizers/model.h"

namespace bt::tokenizers {

class WordLevel final : public SubwordModel {
 public:
  WordLevel(Vocab vocab, std::string unk_token) : vocab_(std::move(vocab)), unk_token_(std::move(unk_token)) {}
  // tokenizer.json {"type": "WordLevel", "vocab": {token: id}, "unk_token": "<unk>"}.
  // `vocab`: config["vocab"] already read (ModelFromJson), or null.
  static Result<std::unique_ptr<SubwordModel>> FromJson(const Json& config, const std::string& path, Vocab* vocab = nullptr);

  Status Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const override;
  int32_t TokenToId(std::string_view token) const override { return vocab_.Find(token); }
  std::string IdToToken(int32_t id) const override { return vocab_.Token(id); }
  int32_t vocab_size() const override { return vocab_.size(); }

 private:
  Vocab vocab_;
  std::string unk_token_;
};

}  // namespace bt::tokenizers
