#include "tokenizers/bpe.h"

#include <cstdio>
#include <queue>
#include <utility>

#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

// One symbol of the word being merged, in a doubly linked list over the initial chars.
struct Symbol {
  int32_t id;
  int32_t begin, end;  // chars of the word
  int32_t prev, next;  // indices into the symbol array, -1 at the ends
};

struct Candidate {
  int32_t rank;
  int32_t left;  // symbol index
  int32_t merged_id;
  // std::priority_queue pops the largest: invert so the lowest rank, then leftmost, comes first.
  bool operator<(const Candidate& other) const {
    return rank != other.rank ? rank > other.rank : left > other.left;
  }
};

Result<std::vector<std::pair<std::string, std::string>>> ParseMerges(const Json& merges, const std::string& path) {
  if (!merges.is_array()) return FieldError(path, "expected an array");
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const Json& merge = merges[i];
    // Older files store "a b", newer ones ["a", "b"].
    if (merge.is_string()) {
      const std::string text = merge.get<std::string>();
      const size_t space = text.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == text.size()) {
        return FieldError(path + "[" + std::to_string(i) + "]", "expected \"left right\"");
      }
      out.emplace_back(text.substr(0, space), text.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      out.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      return FieldError(path + "[" + std::to_string(i) + "]", "expected \"left right\" or [left, right]");
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<SubwordModel>> Bpe::Create(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges,
                                           Options options, const std::string& path) {
  auto bpe = std::make_unique<Bpe>();
  const size_t prefix_length = options.continuing_subword_prefix.size();
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    // The merged token drops the right side's continuation prefix (tokenizers slices it off).
    if (right.size() < prefix_length) {
      return FieldError(path + ".merges[" + std::to_string(rank) + "]", "'" + right + "' is shorter than the continuing_subword_prefix");
    }
    const int32_t left_id = vocab.Find(left), right_id = vocab.Find(right);
    const int32_t merged_id = vocab.Find(left + right.substr(prefix_length));
    if (left_id < 0 || right_id < 0 || merged_id < 0) {
      return FieldError(path + ".merges[" + std::to_string(rank) + "]",
                        "'" + left + " " + right + "' uses a token missing from the vocab");
    }
    bpe->merges_.emplace(PairKey(left_id, right_id), Merge{static_cast<int32_t>(rank), merged_id});
  }
  if (!options.unk_token.empty()) {
    bpe->unk_id_ = vocab.Find(options.unk_token);
    if (bpe->unk_id_ < 0) return FieldError(path + ".unk_token", "'" + options.unk_token + "' is not in the vocab");
  }
  if (options.byte_fallback) {
    bpe->byte_ids_.assign(256, -1);
    char name[8];
    for (int b = 0; b < 256; ++b) {
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      bpe->byte_ids_[b] = vocab.Find(name);
    }
  }
  bpe->vocab_ = std::move(vocab);
  bpe->options_ = std::move(options);
  return std::unique_ptr<SubwordModel>(std::move(bpe));
}

Result<std::unique_ptr<SubwordModel>> Bpe::FromJson(const Json& config, const std::string& path, Vocab* preparsed) {
  BT_ASSIGN_OR_RETURN(const Json* vocab_json, RequiredField(config, path, "vocab"));
  BT_ASSIGN_OR_RETURN(Vocab vocab, Vocab::FromJsonOr(*vocab_json, path + ".vocab", preparsed));
  BT_ASSIGN_OR_RETURN(const Json* merges_json, RequiredField(config, path, "merges"));
  BT_ASSIGN_OR_RETURN(auto merges, ParseMerges(*merges_json, path + ".merges"));
  Options options;
  BT_RETURN_IF_ERROR(ReadString(config, path, "unk_token", &options.unk_token));
  BT_RETURN_IF_ERROR(ReadString(config, path, "continuing_subword_prefix", &options.continuing_subword_prefix));
  BT_RETURN_IF_ERROR(ReadString(config, path, "end_of_word_suffix", &options.end_of_word_suffix));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "fuse_unk", &options.fuse_unk));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "ignore_merges", &options.ignore_merges));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "byte_fallback", &options.byte_fallback));
  const Json* dropout = OptionalField(config, "dropout");
  if (dropout != nullptr && (!dropout->is_number() || dropout->get<double>() != 0.0)) {
    return FieldError(path + ".dropout", "BPE dropout is for training; only null or 0 is supported");
  }
  return Create(std::move(vocab), merges, std::move(options), path);
}

Status Bpe::Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const {
  if (word.empty()) return Status::Ok();
  const std::string text = EncodeUtf8(word);
  if (options_.ignore_merges) {
    const int32_t id = vocab_.Find(text);
    if (id >= 0) {
      out->push_back(ModelToken{id, text, 0, static_cast<int32_t>(word.size())});
      return Status::Ok();
    }
  }
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  bool pending_unk = false;  // the last symbol is an unknown run that may still grow (fuse_unk)
  std::string piece;
  for (size_t i = 0; i < word.size(); ++i) {
    const int32_t at = static_cast<int32_t>(i);
    piece.clear();
    if (i > 0) piece = options_.continuing_subword_prefix;
    AppendUtf8(word[i], &piece);
    if (i + 1 == word.size()) piece += options_.end_of_word_suffix;
    const int32_t id = vocab_.Find(piece);
    if (id >= 0) {
      symbols.push_back(Symbol{id, at, at + 1, 0, 0});
      pending_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (unsigned char b : piece) all = all && byte_ids_[b] >= 0;
      if (all) {
        // Each byte token covers the whole char (tokenizers' byte offsets map back to it).
        for (unsigned char b : piece) symbols.push_back(Symbol{byte_ids_[b], at, at + 1, 0, 0});
        pending_unk = false;
        continue;
      }
    }
    if (unk_id_ < 0) continue;  // dropped
    if (options_.fuse_unk && pending_unk) {
      symbols.back().end = at + 1;
      continue;
    }
    symbols.push_back(Symbol{unk_id_, at, at + 1, 0, 0});
    pending_unk = true;
  }
  const int32_t count = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i < count; ++i) {
    symbols[i].prev = i - 1;
    symbols[i].next = i + 1 < count ? i + 1 : -1;
  }

  std::priority_queue<Candidate> queue;
  auto push_pair = [&](int32_t left) {
    const int32_t right = symbols[left].next;
    if (right < 0) return;
    auto it = merges_.find(PairKey(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push(Candidate{it->second.rank, left, it->second.merged_id});
  };
  for (int32_t i = 0; i + 1 < count; ++i) push_pair(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.left];
    // Stale entries: the left symbol was merged away or its pair changed since it was queued.
    if (left.end == left.begin || left.next < 0) continue;
    auto it = merges_.find(PairKey(left.id, symbols[left.next].id));
    if (it == merges_.end() || it->second.rank != top.rank) continue;
    Symbol& right = symbols[left.next];
    left.id = top.merged_id;
    left.end = right.end;
    left.next = right.next;
    right.end = right.begin;  // marks it merged away
    if (left.next >= 0) symbols[left.next].prev = top.left;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.left);
  }

  for (int32_t i = count > 0 ? 0 : -1; i >= 0; i = symbols[i].next) {
    out->push_back(ModelToken{symbols[i].id, vocab_.Token(symbols[i].id), symbols[i].begin, symbols[i].end});
  }
  return Status::Ok();
}

}  // namespace bt::tokenizers
