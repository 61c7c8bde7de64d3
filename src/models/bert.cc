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
  if (parts.head == HeadKind::kSequenceClassification) {  // the pooler feeds the classifier
    BT_RETURN_IF_ERROR(LoadSequenceHead(weights, h, prefix + "pooler.dense", Activation::kTanh, "classifier",
                                        parts.head_program));
    return parts;
  }
  BT_RETURN_IF_ERROR(LoadPooler(weights, h, prefix + "pooler.dense", parts.pooler));
  if (parts.head == HeadKind::kMaskedLm) {
    BT_RETURN_IF_ERROR(LoadMaskedLmHead(c, weights,
                                        {"cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
                                         "cls.predictions.decoder", "cls.predictions.bias"},
                                        c.hidden_act, prefix + "embeddings.word_embeddings.weight",
                                        parts.head_program));
    return parts;
  }
  BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, parts.head_program));
  return parts;
}

}  // namespace bt
