#include "tokenizers/model.h"

#include <algorithm>
#include <utility>

#include "tokenizers/bpe.h"
#include "tokenizers/unigram.h"
#include "tokenizers/word_level.h"
#include "tokenizers/wordpiece.h"

namespace bt::tokenizers {

void Vocab::Add(std::string token, int32_t id) {
  if (static_cast<size_t>(id) >= id_to_token_.size()) id_to_token_.resize(static_cast<size_t>(id) + 1);
  id_to_token_[id] = token;
  token_to_id_.emplace(std::move(token), id);
}

Result<Vocab> Vocab::FromJson(const Json& object, const std::string& path) {
  if (!object.is_object()) return FieldError(path, "expected an object of token: id");
  Vocab vocab;
  vocab.token_to_id_.reserve(object.size());
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

bool VocabBuilder::Add(std::string token, int64_t id) {
  // FromJson's range (ids index a dense table); the far-beyond check needs the final size: Finish.
  if (id < 0 || id > (1 << 24)) return false;
  if (static_cast<size_t>(id) >= used_.size()) used_.resize(static_cast<size_t>(id) + 1, false);
  if (used_[static_cast<size_t>(id)]) return false;  // FromJson: the token later in key order wins the id
  if (vocab_.token_to_id_.count(token) != 0) return false;  // the JSON tree keeps the last value
  used_[static_cast<size_t>(id)] = true;
  max_id_ = std::max(max_id_, id);
  vocab_.Add(std::move(token), static_cast<int32_t>(id));
  return true;
}

bool VocabBuilder::Finish(Vocab* out) {
  if (max_id_ >= static_cast<int64_t>(vocab_.token_to_id_.size()) + 65536) return false;
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
