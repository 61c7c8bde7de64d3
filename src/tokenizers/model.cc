#include "tokenizers/model.h"

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

Result<std::unique_ptr<SubwordModel>> ModelFromJson(const Json& config, const std::string& path) {
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(config, path, "type"));
  if (type == "WordPiece") return WordPiece::FromJson(config, path);
  if (type == "BPE") return Bpe::FromJson(config, path);
  if (type == "Unigram") return Unigram::FromJson(config, path);
  if (type == "WordLevel") return WordLevel::FromJson(config, path);
  return FieldError(path + ".type", "unsupported model '" + type + "'");
}

}  // namespace bt::tokenizers
