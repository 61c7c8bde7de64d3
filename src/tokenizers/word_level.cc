#include "tokenizers/word_level.h"

#include <utility>

#include "tokenizers/utf8.h"

namespace bt::tokenizers {

Result<std::unique_ptr<SubwordModel>> WordLevel::FromJson(const Json& config, const std::string& path, Vocab* preparsed) {
  BT_ASSIGN_OR_RETURN(const Json* vocab_json, RequiredField(config, path, "vocab"));
  BT_ASSIGN_OR_RETURN(Vocab vocab, Vocab::FromJsonOr(*vocab_json, path + ".vocab", preparsed));
  std::string unk_token = "<unk>";
  BT_RETURN_IF_ERROR(ReadString(config, path, "unk_token", &unk_token));
  return std::unique_ptr<SubwordModel>(std::make_unique<WordLevel>(std::move(vocab), std::move(unk_token)));
}

Status WordLevel::Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const {
  const std::string text = EncodeUtf8(word);
  const int32_t length = static_cast<int32_t>(word.size());
  const int32_t id = vocab_.Find(text);
  if (id >= 0) {
    out->push_back(ModelToken{id, text, 0, length});
    return Status::Ok();
  }
  const int32_t unk = vocab_.Find(unk_token_);
  if (unk < 0) return Status::InvalidArgument("WordLevel: '" + text + "' is not in the vocabulary, which has no unknown token '" + unk_token_ + "'");
  out->push_back(ModelToken{unk, unk_token_, 0, length});
  return Status::Ok();
}

}  // namespace bt::tokenizers
