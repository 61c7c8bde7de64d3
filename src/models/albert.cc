// ALBERT (Lan et al. 2019): factorised embeddings (E -> H through embedding_hidden_mapping_in)
// and layers shared within groups: layer i uses group i / (num_hidden_layers / num_hidden_groups).
#include "models/architecture.h"

namespace bt {
namespace {

Status LoadAlbertGroups(const ModelConfig& c, const WeightSource& weights, const std::string& prefix,
                        EncoderWeights& encoder) {
  static constexpr LayerNames kNames = {"attention.query", "attention.key", "attention.value",
                                        "attention.dense", "attention.LayerNorm", "ffn",
                                        "ffn_output", "full_layer_layer_norm"};
  if (c.inner_group_num != 1) {
    return Status::Unsupported("config.json: ALBERT inner_group_num " + std::to_string(c.inner_group_num) +
                         " is not supported (only 1, as in every released ALBERT)");
  }
  for (int32_t g = 0; g < c.num_hidden_groups; ++g) {
    const std::string p = prefix + "encoder.albert_layer_groups." + std::to_string(g) + ".albert_layers.0.";
    BT_ASSIGN_OR_RETURN(EncoderLayerWeights layer, LoadLayer(c, weights, p, kNames));
    encoder.layers.push_back(std::move(layer));
  }
  const int32_t layers_per_group = c.num_hidden_layers / c.num_hidden_groups;
  for (int32_t i = 0; i < c.num_hidden_layers; ++i) encoder.layer_order.push_back(i / layers_per_group);
  return Status::Ok();
}

}  // namespace

Result<ModelParts> LoadAlbertParts(const ModelConfig& c, const WeightSource& weights) {
  ModelParts parts;
  BT_ASSIGN_OR_RETURN(std::string prefix, BasePrefix(c, weights));
  FillEncoderShape(c, parts.encoder);
  BT_ASSIGN_OR_RETURN(parts.encoder.embeddings, LoadEmbeddings(c, weights, prefix));
  BT_ASSIGN_OR_RETURN(parts.encoder.embeddings.projection,
                      LoadLinear(weights, prefix + "encoder.embedding_hidden_mapping_in", c.hidden_size,
                                 c.embedding_size));
  BT_RETURN_IF_ERROR(LoadAlbertGroups(c, weights, prefix, parts.encoder));
  parts.head = HeadFromArchitectures(c, weights);
  if (parts.head == HeadKind::kSequenceClassification) {  // the pooler feeds the classifier
    BT_RETURN_IF_ERROR(LoadSequenceHead(weights, c.hidden_size, prefix + "pooler", Activation::kTanh, "classifier",
                                        parts.head_program));
    return parts;
  }
  BT_RETURN_IF_ERROR(LoadPooler(weights, c.hidden_size, prefix + "pooler", parts.pooler));
  if (parts.head == HeadKind::kMaskedLm) {
    BT_RETURN_IF_ERROR(LoadMaskedLmHead(c, weights, {"predictions.dense", "predictions.LayerNorm",
                                                     "predictions.decoder", "predictions.bias"},
                                        c.hidden_act, prefix + "embeddings.word_embeddings.weight",
                                        parts.head_program));
    return parts;
  }
  BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, parts.head_program));
  return parts;
}

}  // namespace bt
