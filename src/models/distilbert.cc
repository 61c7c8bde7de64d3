// DistilBERT (Sanh et al. 2019): no token types, "transformer.layer.N" with q/k/v/out_lin,
// sa_layer_norm, ffn.lin1/lin2, output_layer_norm; heads pre_classifier(relu) + classifier,
// vocab_transform + vocab_layer_norm + vocab_projector.
#include "models/architecture.h"

namespace bt {
namespace {

Status LoadDistilBertLayers(const ModelConfig& c, const WeightSource& weights, const std::string& prefix,
                            EncoderWeights& encoder) {
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  for (int32_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = prefix + "transformer.layer." + std::to_string(i) + ".";
    EncoderLayerWeights layer;
    BT_ASSIGN_OR_RETURN(layer.qkv, LoadFusedLinear(weights,
                                                   {p + "attention.q_lin", p + "attention.k_lin", p + "attention.v_lin"},
                                                   h, h));
    BT_ASSIGN_OR_RETURN(layer.attention_output, LoadEncoderLinear(weights, p + "attention.out_lin", h, h));
    BT_ASSIGN_OR_RETURN(layer.attention_norm, LoadLayerNorm(weights, p + "sa_layer_norm", h, c.layer_norm_eps));
    BT_ASSIGN_OR_RETURN(layer.ffn_in, LoadEncoderLinear(weights, p + "ffn.lin1", inter, h));
    BT_ASSIGN_OR_RETURN(layer.ffn_out, LoadEncoderLinear(weights, p + "ffn.lin2", h, inter));
    BT_ASSIGN_OR_RETURN(layer.ffn_norm, LoadLayerNorm(weights, p + "output_layer_norm", h, c.layer_norm_eps));
    encoder.layers.push_back(std::move(layer));
    encoder.layer_order.push_back(i);
  }
  return Status::Ok();
}

}  // namespace

Result<ModelParts> LoadDistilBertParts(const ModelConfig& c, const WeightSource& weights) {
  ModelParts parts;
  BT_ASSIGN_OR_RETURN(std::string prefix, BasePrefix(c, weights));
  FillEncoderShape(c, parts.encoder);
  BT_ASSIGN_OR_RETURN(parts.encoder.embeddings, LoadEmbeddings(c, weights, prefix));
  BT_RETURN_IF_ERROR(LoadDistilBertLayers(c, weights, prefix, parts.encoder));
  parts.head = HeadFromArchitectures(c, weights);
  const int64_t h = c.hidden_size;
  HeadProgram& head = parts.head_program;
  switch (parts.head) {
    case HeadKind::kMaskedLm: {
      BT_ASSIGN_OR_RETURN(Linear transform, LoadLinear(weights, "vocab_transform", h, h));
      BT_ASSIGN_OR_RETURN(LayerNormWeights norm, LoadLayerNorm(weights, "vocab_layer_norm", h, 1e-12f));
      BT_ASSIGN_OR_RETURN(Linear decoder, LoadDecoder(c, weights, "vocab_projector",
                                                      prefix + "embeddings.word_embeddings.weight",
                                                      "vocab_projector.bias"));
      head.steps.push_back(LinearStep(std::move(transform), c.hidden_act));
      head.steps.push_back(NormStep(std::move(norm)));
      head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
      break;
    }
    case HeadKind::kSequenceClassification: {
      head.first_token_only = true;
      BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, "classifier.weight"));
      BT_ASSIGN_OR_RETURN(Linear pre, LoadLinear(weights, "pre_classifier", h, h));
      BT_ASSIGN_OR_RETURN(Linear classifier, LoadLinear(weights, "classifier", labels, h));
      head.steps.push_back(LinearStep(std::move(pre), Activation::kRelu));
      head.steps.push_back(LinearStep(std::move(classifier), Activation::kNone));
      break;
    }
    default:
      BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, head));
  }
  return parts;
}

}  // namespace bt
