// Tokenizer::FromJson: tokenizer.json -> the pipeline stages.
#include <utility>

#include "tokenizers/json_util.h"
#include "tokenizers/pipeline_tokenizer.h"
#include "tokenizers/tokenizer.h"

namespace bt {

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view tokenizer_json) {
  using namespace tokenizers;  // NOLINT: this function only wires the stages together
  const Json root = Json::parse(tokenizer_json.begin(), tokenizer_json.end(), nullptr, false);
  if (root.is_discarded()) return Status::Error("tokenizer.json: not valid JSON");
  if (!root.is_object()) return Status::Error("tokenizer.json: expected an object");

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
    int64_t pad_id = -1;
    BT_RETURN_IF_ERROR(ReadInt(*padding, "padding", "pad_id", &pad_id));
    if (pad_id > INT32_MAX) return FieldError("padding.pad_id", "out of range");
    parts.pad_id = static_cast<int32_t>(pad_id);
  }
  return std::unique_ptr<Tokenizer>(std::make_unique<PipelineTokenizer>(std::move(parts)));
}

}  // namespace bt
