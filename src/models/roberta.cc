// RoBERTa (Liu et al. 2019): BERT's layers with position ids counted from padding_idx + 1 over
// non-pad tokens, a single token type, an LM head with erf GELU and a classification head on <s>.
#include "models/architecture.h"

namespace bt {

Result<ModelParts> LoadRobertaParts(const ModelConfig& c, const WeightSource& weights) {
  ModelParts parts;
  BT_ASSIGN_OR_RETURN(std::string prefix, BasePrefix(c, weights));
  FillEncoderShape(c, parts.encoder);
  BT_ASSIGN_OR_RETURN(parts.encoder.embeddings, LoadEmbeddings(c, weights, prefix));
  parts.encoder.embeddings.roberta_positions = true;
  if (parts.encoder.max_sequence() <= 0) {
    return Status::BadCheckpoint("config.json: max_position_embeddings leaves no room after RoBERTa's padding offset");
  }
  BT_RETURN_IF_ERROR(LoadBertLayers(c, weights, prefix, parts.encoder));
  parts.head = HeadFromArchitectures(c, weights);
  BT_RETURN_IF_ERROR(LoadPooler(weights, c.hidden_size, prefix + "pooler.dense", parts.pooler));
  switch (parts.head) {
    case HeadKind::kMaskedLm:  // RobertaLMHead applies erf GELU whatever hidden_act says
      BT_RETURN_IF_ERROR(LoadMaskedLmHead(c, weights, {"lm_head.dense", "lm_head.layer_norm", "lm_head.decoder",
                                                       "lm_head.bias"},
                                          Activation::kGeluErf, prefix + "embeddings.word_embeddings.weight",
                                          parts.head_program));
      break;
    case HeadKind::kSequenceClassification:
      BT_RETURN_IF_ERROR(LoadSequenceHead(weights, c.hidden_size, "classifier.dense", Activation::kTanh,
                                          "classifier.out_proj", parts.head_program));
      break;
    default:
      BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, parts.head_program));
  }
  return parts;
}

}  // namespace bt
