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
    return Status::Error("config.json: max_position_embeddings leaves no room after RoBERTa's padding offset");
  }
  BT_RETURN_IF_ERROR(LoadBertLayers(c, weights, prefix, parts.encoder));
  parts.head = HeadFromArchitectures(c, weights);
  const int64_t h = c.hidden_size;
  HeadProgram& head = parts.head_program;

  if (weights.Has(prefix + "pooler.dense.weight")) {
    parts.pooler.first_token_only = true;
    BT_ASSIGN_OR_RETURN(Linear pooler, LoadLinear(weights, prefix + "pooler.dense", h, h));
    parts.pooler.steps.push_back(LinearStep(std::move(pooler), Activation::kTanh));
  }
  switch (parts.head) {
    case HeadKind::kMaskedLm: {
      BT_ASSIGN_OR_RETURN(Linear dense, LoadLinear(weights, "lm_head.dense", h, h));
      BT_ASSIGN_OR_RETURN(LayerNormWeights norm, LoadLayerNorm(weights, "lm_head.layer_norm", h, c.layer_norm_eps));
      BT_ASSIGN_OR_RETURN(Linear decoder, LoadDecoder(c, weights, "lm_head.decoder",
                                                      prefix + "embeddings.word_embeddings.weight", "lm_head.bias"));
      head.steps.push_back(LinearStep(std::move(dense), Activation::kGeluErf));  // RobertaLMHead always uses gelu
      head.steps.push_back(NormStep(std::move(norm)));
      head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
      break;
    }
    case HeadKind::kSequenceClassification: {
      head.first_token_only = true;
      BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, "classifier.out_proj.weight"));
      BT_ASSIGN_OR_RETURN(Linear dense, LoadLinear(weights, "classifier.dense", h, h));
      BT_ASSIGN_OR_RETURN(Linear out, LoadLinear(weights, "classifier.out_proj", labels, h));
      head.steps.push_back(LinearStep(std::move(dense), Activation::kTanh));
      head.steps.push_back(LinearStep(std::move(out), Activation::kNone));
      break;
    }
    default:
      BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, head));
  }
  return parts;
}

}  // namespace bt
