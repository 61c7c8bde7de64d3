// BERT (Devlin et al. 2018): Hugging Face's BertModel / BertFor{MaskedLM, SequenceClassification,
// TokenClassification, QuestionAnswering} checkpoints.
#include "models/architecture.h"

namespace bt {

Result<ModelParts> LoadBertParts(const ModelConfig& c, const WeightSource& weights) {
  ModelParts parts;
  BT_ASSIGN_OR_RETURN(std::string prefix, BasePrefix(c, weights));
  FillEncoderShape(c, parts.encoder);
  BT_ASSIGN_OR_RETURN(parts.encoder.embeddings, LoadEmbeddings(c, weights, prefix));
  BT_RETURN_IF_ERROR(LoadBertLayers(c, weights, prefix, parts.encoder));
  parts.head = HeadFromArchitectures(c, weights);
  const int64_t h = c.hidden_size;
  HeadProgram& head = parts.head_program;

  const bool has_pooler = weights.Has(prefix + "pooler.dense.weight");
  if (has_pooler && parts.head != HeadKind::kSequenceClassification) {
    parts.pooler.first_token_only = true;
    BT_ASSIGN_OR_RETURN(Linear pooler, LoadLinear(weights, prefix + "pooler.dense", h, h));
    parts.pooler.steps.push_back(LinearStep(std::move(pooler), Activation::kTanh));
  }
  switch (parts.head) {
    case HeadKind::kMaskedLm: {
      BT_ASSIGN_OR_RETURN(Linear transform, LoadLinear(weights, "cls.predictions.transform.dense", h, h));
      BT_ASSIGN_OR_RETURN(LayerNormWeights norm,
                          LoadLayerNorm(weights, "cls.predictions.transform.LayerNorm", h, c.layer_norm_eps));
      BT_ASSIGN_OR_RETURN(Linear decoder, LoadDecoder(c, weights, "cls.predictions.decoder",
                                                      prefix + "embeddings.word_embeddings.weight",
                                                      "cls.predictions.bias"));
      head.steps.push_back(LinearStep(std::move(transform), c.hidden_act));
      head.steps.push_back(NormStep(std::move(norm)));
      head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
      break;
    }
    case HeadKind::kSequenceClassification: {
      head.first_token_only = true;
      BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, "classifier.weight"));
      BT_ASSIGN_OR_RETURN(Linear pooler, LoadLinear(weights, prefix + "pooler.dense", h, h));
      BT_ASSIGN_OR_RETURN(Linear classifier, LoadLinear(weights, "classifier", labels, h));
      head.steps.push_back(LinearStep(std::move(pooler), Activation::kTanh));
      head.steps.push_back(LinearStep(std::move(classifier), Activation::kNone));
      break;
    }
    default:
      BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, head));
  }
  return parts;
}

}  // namespace bt
