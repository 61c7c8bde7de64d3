// Byte-pair encoding (RoBERTa/GPT-2): a word starts as single chars and the adjacent pair with
// the best (lowest) merge rank is merged until no ranked pair is left, leftmost first on ties.
#pragma once

#include <unordered_map>

#include "tokenizers/model.h"

namespace bt::tokenizers {

class Bpe final : public SubwordModel {
 public:
  // `merges` are pairs of vocab tokens in rank order.
  struct Options {
    std::string unk_token;  // "": chars missing from the vocab are dropped
    bool fuse_unk = false;
    bool ignore_merges = false;
    bool byte_fallback = false;         // missing chars become "<0xHH>" tokens when the vocab has them
    std::string continuing_subword_prefix;  // on every symbol but a word's first
    std::string end_of_word_suffix;         // on a word's last symbol
  };
  static Result<std::unique_ptr<SubwordModel>> Create(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                               Options options, const std::string& path);
  // `vocab`: config["vocab"] already read (ModelFromJson), or null.
  static Result<std::unique_ptr<SubwordModel>> FromJson(const Json& config, const std::string& path, Vocab* vocab = nullptr);

  Status Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const override;
  int32_t TokenToId(std::string_view token) const override { return vocab_.Find(token); }
  std::string IdToToken(int32_t id) const override { return vocab_.Token(id); }
  int32_t vocab_size() const override { return vocab_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  static uint64_t PairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }

  Vocab vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t unk_id_ = -1;  // -1: chars missing from the vocab are dropped, as Hugging Face does
  Options options_;
  std::vector<int32_t> byte_ids_;  // byte_fallback: the id of "<0xHH>" per byte, -1 when missing
};

}  // namespace bt::tokenizers
