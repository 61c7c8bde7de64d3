#include "tokenizers/post_processors.h"

#include <algorithm>
#include <utility>

#include "tokenizers/byte_level.h"
#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

void AppendSequence(const Encoding& from, int32_t type_id, int32_t sequence, Encoding* to) {
  to->ids.insert(to->ids.end(), from.ids.begin(), from.ids.end());
  to->type_ids.insert(to->type_ids.end(), from.ids.size(), type_id);
  to->tokens.insert(to->tokens.end(), from.tokens.begin(), from.tokens.end());
  to->offsets.insert(to->offsets.end(), from.offsets.begin(), from.offsets.end());
  to->sequence_ids.insert(to->sequence_ids.end(), from.ids.size(), sequence);
  to->word_ids.insert(to->word_ids.end(), from.word_ids.begin(), from.word_ids.end());
  to->attention_mask.insert(to->attention_mask.end(), from.ids.size(), 1);
  to->truncated = to->truncated || from.truncated;
}

void AppendSpecial(int32_t id, const std::string& token, int32_t type_id, Encoding* to) {
  to->ids.push_back(id);
  to->type_ids.push_back(type_id);
  to->tokens.push_back(token);
  to->offsets.emplace_back(0, 0);
  to->sequence_ids.push_back(-1);
  to->word_ids.push_back(-1);
  to->attention_mask.push_back(1);
}

// ["[SEP]", 102] as BertProcessing/RobertaProcessing store their tokens.
Status ReadTokenPair(const Json& config, const std::string& path, const char* key, std::string* token,
                     int32_t* id) {
  const Json* pair = OptionalField(config, key);
  if (pair == nullptr) return Status::Ok();  // keep the default
  if (!pair->is_array() || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_number_integer()) {
    return FieldError(path + "." + key, "expected [token, id]");
  }
  *token = (*pair)[0].get<std::string>();
  *id = (*pair)[1].get<int32_t>();
  return Status::Ok();
}

}  // namespace

Result<std::vector<PostProcessor::Piece>> PostProcessor::ParseTemplate(const Json& config, const std::string& path,
                                                                       const char* key) {
  BT_ASSIGN_OR_RETURN(const Json* list, RequiredField(config, path, key));
  if (!list->is_array()) return FieldError(path + "." + key, "expected an array");
  std::vector<Piece> pieces;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = path + "." + key + "[" + std::to_string(i) + "]";
    const Json& item = (*list)[i];
    const Json* sequence = OptionalField(item, "Sequence");
    const Json* special = OptionalField(item, "SpecialToken");
    const Json* body = sequence != nullptr ? sequence : special;
    if (body == nullptr) return FieldError(where, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    Piece piece;
    int64_t type_id = 0;
    BT_RETURN_IF_ERROR(ReadInt(*body, where, "type_id", &type_id));
    piece.type_id = static_cast<int32_t>(type_id);
    std::string id;
    BT_RETURN_IF_ERROR(ReadString(*body, where, "id", &id));
    if (id.empty()) return FieldError(where + ".id", "missing");
    if (sequence != nullptr) {
      if (id != "A" && id != "B") return FieldError(where + ".id", "expected \"A\" or \"B\"");
      piece.sequence = id == "A" ? 0 : 1;
    } else {
      piece.special = std::move(id);
    }
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

Result<PostProcessor> PostProcessor::FromJson(const Json* config, const std::string& path) {
  PostProcessor processor;
  if (config == nullptr) return processor;
  BT_ASSIGN_OR_RETURN(std::string type, RequiredString(*config, path, "type"));
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const bool bert = type == "BertProcessing";
    std::string cls = bert ? "[CLS]" : "<s>", sep = bert ? "[SEP]" : "</s>";
    int32_t cls_id = bert ? 101 : 0, sep_id = bert ? 102 : 2;
    BT_RETURN_IF_ERROR(ReadTokenPair(*config, path, "cls", &cls, &cls_id));
    BT_RETURN_IF_ERROR(ReadTokenPair(*config, path, "sep", &sep, &sep_id));
    // BERT: [CLS] A [SEP] B:1 [SEP]:1. RoBERTa: <s> A </s> </s> B </s>, every type id 0.
    const int32_t b_type = bert ? 1 : 0;
    processor.single_ = {{-1, cls, 0}, {0, "", 0}, {-1, sep, 0}};
    processor.pair_ = processor.single_;
    if (!bert) processor.pair_.push_back({-1, sep, 0});
    processor.pair_.push_back({1, "", b_type});
    processor.pair_.push_back({-1, sep, b_type});
    processor.specials_ = {{cls, Special{{cls_id}, {cls}}}, {sep, Special{{sep_id}, {sep}}}};
    if (!bert) {
      processor.trim_offsets_ = true;
      BT_RETURN_IF_ERROR(ReadBool(*config, path, "trim_offsets", &processor.trim_offsets_));
      BT_RETURN_IF_ERROR(ReadBool(*config, path, "add_prefix_space", &processor.keep_first_prefix_space_));
    }
    return processor;
  }
  if (type == "ByteLevel") {
    processor.trim_offsets_ = true;
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "trim_offsets", &processor.trim_offsets_));
    BT_RETURN_IF_ERROR(ReadBool(*config, path, "add_prefix_space", &processor.keep_first_prefix_space_));
    return processor;
  }
  if (type == "Sequence") return FromJsonSequence(*config, path);
  if (type == "TemplateProcessing") {
    BT_ASSIGN_OR_RETURN(processor.single_, ParseTemplate(*config, path, "single"));
    BT_ASSIGN_OR_RETURN(processor.pair_, ParseTemplate(*config, path, "pair"));
    const Json* specials = OptionalField(*config, "special_tokens");
    if (specials != nullptr && !specials->is_object()) return FieldError(path + ".special_tokens", "expected an object");
    if (specials != nullptr) {
      for (auto it = specials->begin(); it != specials->end(); ++it) {
        const std::string where = path + ".special_tokens." + it.key();
        const Json* ids = OptionalField(it.value(), "ids");
        const Json* tokens = OptionalField(it.value(), "tokens");
        if (ids == nullptr || tokens == nullptr || !ids->is_array() || !tokens->is_array() ||
            ids->size() != tokens->size()) {
          return FieldError(where, "expected equally long \"ids\" and \"tokens\" arrays");
        }
        Special special;
        for (size_t i = 0; i < ids->size(); ++i) {
          if (!(*ids)[i].is_number_integer() || !(*tokens)[i].is_string()) {
            return FieldError(where, "ids must be integers and tokens strings");
          }
          special.ids.push_back((*ids)[i].get<int32_t>());
          special.tokens.push_back((*tokens)[i].get<std::string>());
        }
        processor.specials_.emplace_back(it.key(), std::move(special));
      }
    }
    for (const auto* pieces : {&processor.single_, &processor.pair_}) {
      for (const Piece& piece : *pieces) {
        if (piece.sequence < 0 && processor.FindSpecial(piece.special) == nullptr) {
          return FieldError(path + ".special_tokens", "no entry for '" + piece.special + "' used by the template");
        }
      }
    }
    return processor;
  }
  return FieldError(path + ".type", "unsupported post_processor '" + type + "'");
}

// A Sequence is a ByteLevel offset trimmer and/or one template-style processor.
Result<PostProcessor> PostProcessor::FromJsonSequence(const Json& config, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const Json* list, RequiredField(config, path, "processors"));
  if (!list->is_array()) return FieldError(path + ".processors", "expected an array");
  PostProcessor combined;
  bool have_template = false;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = path + ".processors[" + std::to_string(i) + "]";
    BT_ASSIGN_OR_RETURN(std::string type, RequiredString((*list)[i], where, "type"));
    BT_ASSIGN_OR_RETURN(PostProcessor step, FromJson(&(*list)[i], where));
    if (type == "ByteLevel") {
      combined.trim_offsets_ = combined.trim_offsets_ || step.trim_offsets_;
      combined.keep_first_prefix_space_ = step.keep_first_prefix_space_;
      continue;
    }
    if (have_template) return FieldError(where, "only one processor besides ByteLevel is supported");
    have_template = true;
    const bool trim = combined.trim_offsets_, keep = combined.keep_first_prefix_space_;
    combined = std::move(step);
    if (trim) combined.trim_offsets_ = true, combined.keep_first_prefix_space_ = keep;
  }
  return combined;
}

// Hugging Face's byte_level::process_offsets, on offsets in code points (each trimmed space is
// one byte and one code point, so the arithmetic is the same).
void PostProcessor::TrimOffsets(Encoding* sequence) const {
  const auto is_space = [](char32_t c) { return c == byte_level::ByteToChar(' ') || unicode::IsWhitespace(c); };
  for (size_t i = 0; i < sequence->tokens.size(); ++i) {
    auto chars = DecodeUtf8(sequence->tokens[i]);
    if (!chars.ok()) continue;
    const std::u32string& token = chars.value();
    int32_t leading = 0, trailing = 0;
    while (leading < static_cast<int32_t>(token.size()) && is_space(token[leading])) ++leading;
    while (trailing < static_cast<int32_t>(token.size()) && is_space(token[token.size() - 1 - trailing])) ++trailing;
    auto& [begin, end] = sequence->offsets[i];
    if (leading > 0) {
      const bool first = i == 0 || begin == 0;
      if (!(first && keep_first_prefix_space_ && leading == 1)) begin = std::min(begin + leading, end);
    }
    if (trailing > 0 && end >= trailing) end = std::max(end - trailing, begin);
  }
}

const PostProcessor::Special* PostProcessor::FindSpecial(const std::string& name) const {
  for (const auto& [key, special] : specials_) {
    if (key == name) return &special;
  }
  return nullptr;
}

int32_t PostProcessor::NumAdded(bool pair) const {
  int32_t added = 0;
  for (const Piece& piece : pair ? pair_ : single_) {
    if (piece.sequence < 0) added += static_cast<int32_t>(FindSpecial(piece.special)->ids.size());
  }
  return added;
}

Encoding PostProcessor::Process(Encoding first, std::optional<Encoding> second, bool add_special_tokens) const {
  if (trim_offsets_) {
    TrimOffsets(&first);
    if (second) TrimOffsets(&*second);
  }
  Encoding out;
  for (const Piece& piece : second ? pair_ : single_) {
    if (piece.sequence >= 0) {
      AppendSequence(piece.sequence == 0 ? first : *second, piece.type_id, piece.sequence, &out);
    } else if (add_special_tokens) {
      const Special* special = FindSpecial(piece.special);
      for (size_t i = 0; i < special->ids.size(); ++i) {
        AppendSpecial(special->ids[i], special->tokens[i], piece.type_id, &out);
      }
    }
  }
  return out;
}

}  // namespace bt::tokenizers
