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

// token <-> id for the models whose vocabulary is a token -> id map. The tokens' bytes sit in one
// pool and are found through an open-addressing table of entry indices: building a 30k-entry BERT
// vocabulary is a few allocations instead of two per token, and a lookup allocates nothing.
class Vocab {
 public:
  // From a JSON object {token: id}; ids may be sparse (gaps read as "").
  static Result<Vocab> FromJson(const Json& object, const std::string& path);
  // `*preparsed` (taken) when tokenizer.json's reader already built this vocabulary from the file
  // (VocabBuilder), else FromJson(object).
  static Result<Vocab> FromJsonOr(const Json& object, const std::string& path, Vocab* preparsed);
  // Maps id -> token (the last Add for an id wins) and token -> id (the first Add for a token wins).
  void Add(std::string_view token, int32_t id);

  int32_t Find(std::string_view token) const {
    const int32_t entry = FindEntry(token, Hash(token));
    return entry < 0 ? -1 : entries_[static_cast<size_t>(entry)].id;
  }
  std::string Token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= by_id_.size() || by_id_[static_cast<size_t>(id)] < 0) return std::string();
    const Entry& e = entries_[static_cast<size_t>(by_id_[static_cast<size_t>(id)])];
    return std::string(pool_.data() + e.offset, e.length);
  }
  int32_t size() const { return static_cast<int32_t>(by_id_.size()); }

 private:
  friend class VocabBuilder;
  struct Entry {
    uint32_t offset;  // into pool_
    uint32_t length;
    uint32_t hash;
    int32_t id;  // what Find answers for this token
  };
  static uint32_t Hash(std::string_view token);
  // Index into entries_ of `token`, or -1.
  int32_t FindEntry(std::string_view token, uint32_t hash) const;
  // The entry of `token`, added for `id` when absent (*added true then).
  int32_t Insert(std::string_view token, int32_t id, bool* added);
  // Sets id -> entry, growing the id table (gaps: -1).
  void MapId(int32_t id, int32_t entry);

  std::string pool_;
  std::vector<Entry> entries_;
  std::vector<int32_t> by_id_;  // id -> entry index, -1 for a gap
  std::vector<int32_t> slots_;  // entry index + 1, 0 = empty; size a power of two (or 0)
};

// Builds a Vocab entry by entry, in file order, as FromJson would from the same {token: id} object —
// for the regular case only: Add is false for an entry FromJson judges or orders differently (a token
// or an id given twice, an id out of FromJson's range), and Finish is false for ids far beyond the
// vocabulary's size. The caller then reads the object with FromJson (same vocabulary, same errors).
class VocabBuilder {
 public:
  bool Add(std::string_view token, int64_t id);
  bool Finish(Vocab* out);
  size_t added() const { return vocab_.entries_.size(); }

 private:
  Vocab vocab_;
  int64_t max_id_ = -1;
};

// Builds the model described by tokenizer.json's `model`; `vocab`: its vocabulary already read by
// VocabBuilder (WordPiece, BPE, WordLevel), or null.
Result<std::unique_ptr<SubwordModel>> ModelFromJson(const Json& config, const std::string& path, Vocab* vocab);

}  // namespace bt::tokenizers
