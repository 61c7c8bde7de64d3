#include "tokenizers/model.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "tokenizers/bpe.h"
#include "tokenizers/unigram.h"
#include "tokenizers/word_level.h"
#include "tokenizers/wordpiece.h"

namespace bt::tokenizers {

uint32_t Vocab::Hash(std::string_view token) { return static_cast<uint32_t>(std::hash<std::string_view>()(token)); }

int32_t Vocab::FindEntry(std::string_view token, uint32_t hash) const {
  if (slots_.empty()) return -1;
  const size_t mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const int32_t index = slots_[slot] - 1;
    if (index < 0) return -1;
    const Entry& e = entries_[static_cast<size_t>(index)];
    if (e.hash == hash && e.length == token.size() && pool_.compare(e.offset, e.length, token) == 0) return index;
  }
}

int32_t Vocab::Insert(std::string_view token, int32_t id, bool* added) {
  if ((entries_.size() + 1) * 2 > slots_.size()) {
    // Load factor <= 1/2: the table is rebuilt at twice the size (from the kept hashes).
    slots_.assign(std::max<size_t>(64, slots_.size() * 2), 0);
    const size_t mask = slots_.size() - 1;
    for (size_t i = 0; i < entries_.size(); ++i) {
      size_t slot = entries_[i].hash & mask;
      while (slots_[slot] != 0) slot = (slot + 1) & mask;
      slots_[slot] = static_cast<int32_t>(i) + 1;
    }
  }
  const uint32_t hash = Hash(token);
  const size_t mask = slots_.size() - 1;
  size_t slot = hash & mask;
  for (; slots_[slot] != 0; slot = (slot + 1) & mask) {
    const Entry& e = entries_[static_cast<size_t>(slots_[slot] - 1)];
    if (e.hash == hash && e.length == token.size() && pool_.compare(e.offset, e.length, token) == 0) {
      *added = false;
      return slots_[slot] - 1;
    }
  }
  const int32_t index = static_cast<int32_t>(entries_.size());
  entries_.push_back(Entry{static_cast<uint32_t>(pool_.size()), static_cast<uint32_t>(token.size()), hash, id});
  pool_.append(token);
  slots_[slot] = index + 1;
  *added = true;
  return index;
}

void Vocab::MapId(int32_t id, int32_t entry) {
  const size_t slot = static_cast<size_t>(id);
  if (slot == by_id_.size()) {  // the usual case: ids in order
    by_id_.push_back(entry);
    return;
  }
  if (slot > by_id_.size()) by_id_.resize(slot + 1, -1);
  by_id_[slot] = entry;
}

void Vocab::Add(std::string_view token, int32_t id) {
  bool added;
  MapId(id, Insert(token, id, &added));
}

Result<Vocab> Vocab::FromJson(const Json& object, const std::string& path) {
  if (!object.is_object()) return FieldError(path, "expected an object of token: id");
  Vocab vocab;
  vocab.entries_.reserve(object.size());
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!it.value().is_number_integer()) return FieldError(path + "." + it.key(), "expected an integer id");
    const int64_t id = it.value().get<int64_t>();
    if (id < 0 || id > (1 << 24)) return FieldError(path + "." + it.key(), "id out of range");
    // Fuzzing (tests/fuzz/FINDINGS.md F4): ids index a dense table, so {"a": 16777216} cost 600 MB.
    if (id >= static_cast<int64_t>(object.size()) + 65536) return FieldError(path + "." + it.key(), "id far beyond the vocabulary size");
    vocab.Add(it.key(), static_cast<int32_t>(id));
  }
  return vocab;
}

Result<Vocab> Vocab::FromJsonOr(const Json& object, const std::string& path, Vocab* preparsed) {
  if (preparsed) return std::move(*preparsed);
  return FromJson(object, path);
}

bool VocabBuilder::Add(std::string_view token, int64_t id) {
  // FromJson's range (ids index a dense table); the far-beyond check needs the final size: Finish.
  if (id < 0 || id > (1 << 24)) return false;
  // FromJson: the token later in key order wins the id.
  if (static_cast<size_t>(id) < vocab_.by_id_.size() && vocab_.by_id_[static_cast<size_t>(id)] >= 0) return false;
  bool added;
  const int32_t entry = vocab_.Insert(token, static_cast<int32_t>(id), &added);
  if (!added) return false;  // the JSON tree keeps the last value
  max_id_ = std::max(max_id_, id);
  vocab_.MapId(static_cast<int32_t>(id), entry);
  return true;
}

bool VocabBuilder::Finish(Vocab* out) {
  if (max_id_ >= static_cast<int64_t>(vocab_.entries_.size()) + 65536) return false;
  *out = std::move(vocab_);
  return true;
}

Result<std::unique_ptr<SubwordModel>> ModelFromJson(const Json& config, const std::string& path, Vocab* vocab) {
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(config, path, "type"));
  if (type == "WordPiece") return WordPiece::FromJson(config, path, vocab);
  if (type == "BPE") return Bpe::FromJson(config, path, vocab);
  if (type == "Unigram") return Unigram::FromJson(config, path);
  if (type == "WordLevel") return WordLevel::FromJson(config, path, vocab);
  return FieldError(path + ".type", "unsupported model '" + type + "'");
}

}  // namespace bt::tokenizers
