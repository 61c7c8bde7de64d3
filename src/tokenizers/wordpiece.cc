#include "tokenizers/wordpiece.h"

#include <utility>

#include "tokenizers/utf8.h"

namespace bt::tokenizers {

WordPiece::WordPiece(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
                     int32_t max_input_chars_per_word)
    : vocab_(std::move(vocab)),
      unk_token_(std::move(unk_token)),
      prefix_(std::move(continuing_subword_prefix)),
      max_input_chars_per_word_(max_input_chars_per_word) {}

Result<std::unique_ptr<SubwordModel>> WordPiece::FromJson(const Json& config, const std::string& path, Vocab* preparsed) {
  BT_ASSIGN_OR_RETURN(const Json* vocab_json, RequiredField(config, path, "vocab"));
  BT_ASSIGN_OR_RETURN(Vocab vocab, Vocab::FromJsonOr(*vocab_json, path + ".vocab", preparsed));
  std::string unk_token = "[UNK]", prefix = "##";
  int64_t max_chars = 100;
  BT_RETURN_IF_ERROR(ReadString(config, path, "unk_token", &unk_token));
  BT_RETURN_IF_ERROR(ReadString(config, path, "continuing_subword_prefix", &prefix));
  BT_RETURN_IF_ERROR(ReadInt(config, path, "max_input_chars_per_word", &max_chars));
  if (vocab.Find(unk_token) < 0) return FieldError(path + ".unk_token", "'" + unk_token + "' is not in the vocab");
  if (max_chars <= 0 || max_chars > INT32_MAX) return FieldError(path + ".max_input_chars_per_word", "out of range");
  return std::unique_ptr<SubwordModel>(std::make_unique<WordPiece>(std::move(vocab), std::move(unk_token),
                                                            std::move(prefix), static_cast<int32_t>(max_chars)));
}

Status WordPiece::Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const {
  const int32_t length = static_cast<int32_t>(word.size());
  const ModelToken unknown{vocab_.Find(unk_token_), unk_token_, 0, length};
  if (length > max_input_chars_per_word_) {
    out->push_back(unknown);
    return Status::Ok();
  }
  const size_t first = out->size();
  std::string candidate;
  for (int32_t start = 0; start < length;) {
    int32_t end = length;
    int32_t id = -1;
    for (; end > start; --end) {
      candidate = start > 0 ? prefix_ : std::string();
      candidate += EncodeUtf8(word.substr(start, end - start));
      id = vocab_.Find(candidate);
      if (id >= 0) break;
    }
    if (id < 0) {  // no piece matches here: the whole word is unknown
      out->resize(first);
      out->push_back(unknown);
      return Status::Ok();
    }
    out->push_back(ModelToken{id, candidate, start, end});
    start = end;
  }
  return Status::Ok();
}

}  // namespace bt::tokenizers
