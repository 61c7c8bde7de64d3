// The Tokenizer factories: tokenizer.json, vocab.json + merges.txt (expressed as the
// tokenizer.json they stand for) and SentencePiece models.
#include <utility>

#include "io/json_util.h"
#include "tokenizers/pipeline_tokenizer.h"
#include "tokenizers/sentencepiece_model.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/unicode.h"

namespace bt {

namespace tokenizers {
namespace {

Result<std::unique_ptr<Tokenizer>> FromParsedJson(const Json& root) {
  if (!root.is_object()) return Status::BadCheckpoint("tokenizer.json: expected an object");
  PipelineParts parts;
  BT_ASSIGN_OR_RETURN(const Json* model, RequiredField(root, "tokenizer.json", "model"));
  BT_ASSIGN_OR_RETURN(parts.model, ModelFromJson(*model, "model"));
  BT_ASSIGN_OR_RETURN(parts.normalizer, NormalizerFromJson(OptionalField(root, "normalizer"), "normalizer"));
  BT_ASSIGN_OR_RETURN(parts.pre_tokenizer,
                      PreTokenizerFromJson(OptionalField(root, "pre_tokenizer"), "pre_tokenizer"));
  BT_ASSIGN_OR_RETURN(parts.post_processor,
                      PostProcessor::FromJson(OptionalField(root, "post_processor"), "post_processor"));
  BT_ASSIGN_OR_RETURN(parts.decoder, DecoderFromJson(OptionalField(root, "decoder"), "decoder"));
  BT_ASSIGN_OR_RETURN(parts.added, AddedVocabulary::FromJson(OptionalField(root, "added_tokens"), "added_tokens"));

  if (const Json* truncation = OptionalField(root, "truncation")) {
    int64_t max_length = 0;
    BT_RETURN_IF_ERROR(ReadInt(*truncation, "truncation", "max_length", &max_length));
    if (max_length < 0 || max_length > INT32_MAX) return FieldError("truncation.max_length", "out of range");
    parts.model_max_length = static_cast<int32_t>(max_length);
  }
  if (const Json* padding = OptionalField(root, "padding")) {
    int64_t pad_id = -1, pad_type_id = 0;
    BT_RETURN_IF_ERROR(ReadInt(*padding, "padding", "pad_id", &pad_id));
    BT_RETURN_IF_ERROR(ReadInt(*padding, "padding", "pad_type_id", &pad_type_id));
    if (pad_id > INT32_MAX) return FieldError("padding.pad_id", "out of range");
    if (pad_type_id < 0 || pad_type_id > INT32_MAX) return FieldError("padding.pad_type_id", "out of range");
    parts.pad_id = static_cast<int32_t>(pad_id);
    std::string direction = "Right";
    BT_RETURN_IF_ERROR(ReadString(*padding, "padding", "direction", &direction));
    if (direction != "Left" && direction != "Right") return FieldError("padding.direction", "expected Left or Right");
    parts.has_padding = true;
    parts.padding_direction = direction == "Left" ? PaddingSide::kLeft : PaddingSide::kRight;
    parts.padding_type_id = static_cast<int32_t>(pad_type_id);
  }
  return std::unique_ptr<Tokenizer>(std::make_unique<PipelineTokenizer>(std::move(parts)));
}

// merges.txt: an optional "#version" line, then one "left right" pair per line.
Result<Json> ParseMergesTxt(std::string_view text) {
  Json merges = Json::array();
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_number == 1 && line.substr(0, 8) == "#version")) continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size()) {
      return Status::BadCheckpoint("merges.txt line " + std::to_string(line_number) + ": expected \"left right\"");
    }
    merges.push_back(Json::array({std::string(line.substr(0, space)), std::string(line.substr(space + 1))}));
  }
  return merges;
}

}  // namespace
}  // namespace tokenizers

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view tokenizer_json) {
  tokenizers::unicode::PrepareTables();
  const Json root = Json::parse(tokenizer_json.begin(), tokenizer_json.end(), nullptr, false);
  if (root.is_discarded()) return Status::BadCheckpoint("tokenizer.json: not valid JSON");
  if (JsonDepth(root) > kMaxJsonDepth) {
    return Status::BadCheckpoint("tokenizer.json: nested more than " + std::to_string(kMaxJsonDepth) +
                         " levels deep");
  }
  return tokenizers::FromParsedJson(root);
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromBpeFiles(std::string_view vocab_json, std::string_view merges_txt) {
  tokenizers::unicode::PrepareTables();
  Json vocab = Json::parse(vocab_json.begin(), vocab_json.end(), nullptr, false);
  if (vocab.is_discarded() || !vocab.is_object()) return Status::BadCheckpoint("vocab.json: expected a JSON object");
  BT_ASSIGN_OR_RETURN(Json merges, tokenizers::ParseMergesTxt(merges_txt));

  Json added = Json::array();
  for (const char* special : {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}) {
    auto it = vocab.find(special);
    if (it == vocab.end() || !it->is_number_integer()) continue;
    added.push_back({{"id", *it}, {"content", special}, {"special", true}, {"normalized", false}});
  }
  if (!vocab.contains("<s>") || !vocab.contains("</s>")) {
    return Status::BadCheckpoint("vocab.json: <s> and </s> are needed for RoBERTa's special tokens");
  }
  const auto id_of = [&](const char* token) { return vocab[token]; };
  Json root = {
      {"added_tokens", std::move(added)},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"post_processor",
       {{"type", "RobertaProcessing"}, {"cls", {"<s>", id_of("<s>")}}, {"sep", {"</s>", id_of("</s>")}}}},
      {"decoder", {{"type", "ByteLevel"}}},
  };
  root["model"] = {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};
  auto tokenizer = tokenizers::FromParsedJson(root);
  if (!tokenizer.ok()) return tokenizer.status().WithContext("vocab.json + merges.txt");
  return tokenizer;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromSentencePiece(std::string_view model_proto) {
  tokenizers::unicode::PrepareTables();
  BT_ASSIGN_OR_RETURN(tokenizers::PipelineParts parts, tokenizers::PipelineFromSentencePiece(model_proto));
  return std::unique_ptr<Tokenizer>(std::make_unique<tokenizers::PipelineTokenizer>(std::move(parts)));
}

}  // namespace bt
