// DistilBERT (Sanh et al. 2019): no token types, "transformer.layer.N" with q/k/v/out_lin,
// sa_layer_norm, ffn.lin1/lin2, output_layer_norm; heads pre_classifier(relu) + classifier,
// vocab_transform + vocab_layer_norm + vocab_projector.
#include "models/architecture.h"

namespace bt {

Result<ModelParts> LoadDistilBertParts(const ModelConfig& c, const WeightSource& weights) {
  static constexpr LayerNames kNames = {"attention.q_lin", "attention.k_lin", "attention.v_lin",
                                        "attention.out_lin", "sa_layer_norm", "ffn.lin1",
                                        "ffn.lin2", "output_layer_norm"};
  ModelParts parts;
  BT_ASSIGN_OR_RETURN(std::string prefix, BasePrefix(c, weights));
  FillEncoderShape(c, parts.encoder);
  BT_ASSIGN_OR_RETURN(parts.encoder.embeddings, LoadEmbeddings(c, weights, prefix));
  for (int32_t i = 0; i < c.num_hidden_layers; ++i) {
    BT_ASSIGN_OR_RETURN(EncoderLayerWeights layer,
                        LoadLayer(c, weights, prefix + "transformer.layer." + std::to_string(i) + ".", kNames));
    parts.encoder.layers.push_back(std::move(layer));
    parts.encoder.layer_order.push_back(i);
  }
  parts.head = HeadFromArchitectures(c, weights);
  switch (parts.head) {
    case HeadKind::kMaskedLm:
      BT_RETURN_IF_ERROR(LoadMaskedLmHead(c, weights, {"vocab_transform", "vocab_layer_norm", "vocab_projector",
                                                       "vocab_projector.bias"},
                                          c.hidden_act, prefix + "embeddings.word_embeddings.weight",
                                          parts.head_program));
      break;
    case HeadKind::kSequenceClassification:
      BT_RETURN_IF_ERROR(LoadSequenceHead(weights, c.hidden_size, "pre_classifier", Activation::kRelu, "classifier",
                                          parts.head_program));
      break;
    default:
      BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, parts.head_program));
  }
  return parts;
}

}  // namespace bt
