// The subword model: turns one pre-tokenized word into tokens (WordPiece, BPE, Unigram).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "io/json_util.h"

namespace bt::tokenizers {

struct ModelToken {
  int32_t id;
  std::string value;  // the token's text as the model produced it (not always the vocab entry)
  int32_t begin;      // [begin, end) in code points of the word
  int32_t end;
};

class SubwordModel {
 public:
  virtual ~SubwordModel() = default;
  // Appends the tokens of `word` (non-empty) to `out`.
  virtual Status Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const = 0;
  virtual int32_t TokenToId(std::string_view token) const = 0;  // -1 when unknown
  virtual std::string IdToToken(int32_t id) const = 0;          // "" when out of range
  virtual int32_t vocab_size() const = 0;
  // Pieces that are special without being added tokens (SentencePiece control pieces).
  virtual bool IsSpecialPiece(int32_t id) const { return false; }
};

// token <-> id for the models whose vocabulary is a token -> id map.
class Vocab {
 public:
  // From a JSON object {token: id}; ids may be sparse (gaps read as "").
  static Result<Vocab> FromJson(const Json& object, const std::string& path);
  // `*preparsed` (taken) when tokenizer.json's reader already built this vocabulary from the file
  // (VocabBuilder), else FromJson(object).
  static Result<Vocab> FromJsonOr(const Json& object, const std::string& path, Vocab* preparsed);
  void Add(std::string token, int32_t id);

  int32_t Find(std::string_view token) const {
    auto it = token_to_id_.find(std::string(token));
    return it == token_to_id_.end() ? -1 : it->second;
  }
  std::string Token(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < id_to_token_.size() ? id_to_token_[id] : std::string();
  }
  int32_t size() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  friend class VocabBuilder;
  std::unordered_map<std::string, int32_t> token_to_id_;
  std::vector<std::string> id_to_token_;
};

// Builds a Vocab entry by entry, in file order, as FromJson would from the same {token: id} object —
// for the regular case only: Add is false for an entry FromJson judges or orders differently (a token
// or an id given twice, an id out of FromJson's range), and Finish is false for ids far beyond the
// vocabulary's size. The caller then reads the object with FromJson (same vocabulary, same errors).
class VocabBuilder {
 public:
  bool Add(std::string token, int64_t id);
  bool Finish(Vocab* out);

 private:
  Vocab vocab_;
  std::vector<bool> used_;  // ids given so far
  int64_t max_id_ = -1;
};

// Builds the model described by tokenizer.json's `model`; `vocab`: its vocabulary already read by
// VocabBuilder (WordPiece, BPE, WordLevel), or null.
Result<std::unique_ptr<SubwordModel>> ModelFromJson(const Json& config, const std::string& path, Vocab* vocab);

}  // namespace bt::tokenizers
