// ALBERT (Lan et al. 2019): factorised embeddings (E -> H through embedding_hidden_mapping_in)
// and layers shared within groups: layer i uses group i / (num_hidden_layers / num_hidden_groups).
#include "models/architecture.h"

namespace bt {
namespace {

Status LoadAlbertGroups(const ModelConfig& c, const WeightSource& weights, const std::string& prefix,
                        EncoderWeights& encoder) {
  if (c.inner_group_num != 1) {
    return Status::Error("config.json: ALBERT inner_group_num " + std::to_string(c.inner_group_num) +
                         " is not supported (only 1, as in every released ALBERT)");
  }
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  for (int32_t g = 0; g < c.num_hidden_groups; ++g) {
    const std::string p = prefix + "encoder.albert_layer_groups." + std::to_string(g) + ".albert_layers.0.";
    EncoderLayerWeights layer;
    BT_ASSIGN_OR_RETURN(layer.qkv, LoadFusedLinear(weights,
                                                   {p + "attention.query", p + "attention.key", p + "attention.value"},
                                                   h, h));
    BT_ASSIGN_OR_RETURN(layer.attention_output, LoadEncoderLinear(weights, p + "attention.dense", h, h));
    BT_ASSIGN_OR_RETURN(layer.attention_norm, LoadLayerNorm(weights, p + "attention.LayerNorm", h, c.layer_norm_eps));
    BT_ASSIGN_OR_RETURN(layer.ffn_in, LoadEncoderLinear(weights, p + "ffn", inter, h));
    BT_ASSIGN_OR_RETURN(layer.ffn_out, LoadEncoderLinear(weights, p + "ffn_output", h, inter));
    BT_ASSIGN_OR_RETURN(layer.ffn_norm, LoadLayerNorm(weights, p + "full_layer_layer_norm", h, c.layer_norm_eps));
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
  const int64_t h = c.hidden_size, e = c.embedding_size;
  HeadProgram& head = parts.head_program;

  const bool has_pooler = weights.Has(prefix + "pooler.weight");
  if (has_pooler && parts.head != HeadKind::kSequenceClassification) {
    parts.pooler.first_token_only = true;
    BT_ASSIGN_OR_RETURN(Linear pooler, LoadLinear(weights, prefix + "pooler", h, h));
    parts.pooler.steps.push_back(LinearStep(std::move(pooler), Activation::kTanh));
  }
  switch (parts.head) {
    case HeadKind::kMaskedLm: {
      BT_ASSIGN_OR_RETURN(Linear dense, LoadLinear(weights, "predictions.dense", e, h));
      BT_ASSIGN_OR_RETURN(LayerNormWeights norm, LoadLayerNorm(weights, "predictions.LayerNorm", e, c.layer_norm_eps));
      BT_ASSIGN_OR_RETURN(Linear decoder, LoadDecoder(c, weights, "predictions.decoder",
                                                      prefix + "embeddings.word_embeddings.weight",
                                                      "predictions.bias"));
      head.steps.push_back(LinearStep(std::move(dense), c.hidden_act));
      head.steps.push_back(NormStep(std::move(norm)));
      head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
      break;
    }
    case HeadKind::kSequenceClassification: {
      head.first_token_only = true;
      BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, "classifier.weight"));
      BT_ASSIGN_OR_RETURN(Linear pooler, LoadLinear(weights, prefix + "pooler", h, h));
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
