// ModernBERT's checkpoint into the shared blocks (architecture_loaders.h).
#include "models/architecture.h"
#include "models/architecture_loaders.h"
#include "models/blocks/rotary.h"
#include "models/layers.h"

namespace bt {
namespace {

// ModernBertPredictionHead: dense (classifier_bias) -> classifier_activation -> norm.
Status LoadPredictionHead(const ModelConfig& c, const WeightSource& weights, HeadProgram& head) {
  const int64_t h = c.hidden_size;
  BT_ASSIGN_OR_RETURN(Linear dense, LoadLinearBias(weights, "head.dense", h, h, c.classifier_bias, false));
  BT_ASSIGN_OR_RETURN(LayerNormWeights norm, LoadLayerNormBias(weights, "head.norm", h, c.layer_norm_eps, c.norm_bias));
  head.steps.push_back(LinearStep(std::move(dense), c.classifier_activation));
  head.steps.push_back(NormStep(std::move(norm)));
  return Status::Ok();
}

Status LoadHeads(const ModelConfig& c, const WeightSource& weights, const std::string& prefix, ModelParts& parts) {
  const int64_t h = c.hidden_size;
  HeadProgram& head = parts.head_program;
  switch (parts.head) {
    case HeadKind::kBase:
      return Status::Ok();
    case HeadKind::kMaskedLm: {
      BT_RETURN_IF_ERROR(LoadPredictionHead(c, weights, head));
      const bool is_tied = !weights.Has("decoder.weight");
      const std::string matrix = is_tied ? prefix + "embeddings.tok_embeddings.weight" : "decoder.weight";
      BT_ASSIGN_OR_RETURN(Linear decoder, LoadTiedLinear(weights, matrix, c.decoder_bias ? "decoder.bias" : "", c.vocab_size,
                                                         h, is_tied ? &parts.encoder.embeddings.word : nullptr));
      head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
      return Status::Ok();
    }
    case HeadKind::kSequenceClassification:
      head.first_token_only = true;
      head.sequence_row = c.classifier_pooling == "mean" ? SequenceRow::kMean : SequenceRow::kFirst;
      break;
    default:
      break;
  }
  // Sequence and token classification, question answering (start | end): head, then `classifier`.
  BT_RETURN_IF_ERROR(LoadPredictionHead(c, weights, head));
  int64_t outputs = 2;
  if (parts.head != HeadKind::kQuestionAnswering) {
    BT_ASSIGN_OR_RETURN(outputs, ClassifierOutputs(weights, "classifier.weight"));
  }
  BT_ASSIGN_OR_RETURN(Linear classifier, LoadLinear(weights, "classifier", outputs, h));
  head.steps.push_back(LinearStep(std::move(classifier), Activation::kNone));
  return Status::Ok();
}

}  // namespace

Status LoadModernBert(const ModelConfig& c, const WeightSource& weights, ModelParts& parts) {
  const std::string prefix = weights.Has("model.embeddings.tok_embeddings.weight") ? "model." : "";
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  const float eps = c.layer_norm_eps;
  EncoderWeights& e = parts.encoder;
  e.type_vocab_size = 0;

  BT_ASSIGN_OR_RETURN(e.embeddings.word,
                      weights.Embeddings(prefix + "embeddings.tok_embeddings.weight", c.vocab_size, c.hidden_size));
  e.embeddings.positions = PositionIds::kNone;
  e.embeddings.padding_idx = c.pad_token_id;
  BT_ASSIGN_OR_RETURN(e.embeddings.norm, LoadLayerNormBias(weights, prefix + "embeddings.norm", h, eps, c.norm_bias));

  const int32_t head_dim = c.hidden_size / c.num_attention_heads;
  if (head_dim % 2 != 0) return Status::Unsupported("config.json: ModernBERT's rotary needs an even head size");
  const auto global = MakeRotaryTable(c.rope_theta_global, head_dim, c.max_position_embeddings);
  const auto local = MakeRotaryTable(c.rope_theta_local, head_dim, c.max_position_embeddings);
  for (int32_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = prefix + "layers." + std::to_string(i) + ".";
    const bool is_global = c.layer_is_global[i];
    EncoderLayerWeights layer;
    BT_ASSIGN_OR_RETURN(layer.attention.qkv,
                        LoadFusedLinearBias(weights, p + "attn.Wqkv.weight", c.attention_bias ? p + "attn.Wqkv.bias" : "",
                                            3 * h, h));
    BT_ASSIGN_OR_RETURN(layer.attention.output, LoadLinearBias(weights, p + "attn.Wo", h, h, c.attention_bias, true));
    layer.attention.heads = c.num_attention_heads;
    layer.attention.scores = AttentionScores::kScaledDotProduct;
    layer.attention.rotary = is_global ? global : local;
    layer.attention.window = is_global ? 0 : c.local_attention / 2;
    if (i != 0) {  // layer 0's attn_norm is nn.Identity (the embeddings end with a norm)
      BT_ASSIGN_OR_RETURN(layer.attention_norm, LoadLayerNormBias(weights, p + "attn_norm", h, eps, c.norm_bias));
    }
    BT_ASSIGN_OR_RETURN(layer.ffn.in, LoadLinearBias(weights, p + "mlp.Wi", 2 * inter, h, c.mlp_bias, true));
    BT_ASSIGN_OR_RETURN(layer.ffn.out, LoadLinearBias(weights, p + "mlp.Wo", h, inter, c.mlp_bias, true));
    layer.ffn.activation = c.hidden_act;
    layer.ffn.kind = FeedForwardKind::kGeGLU;
    BT_ASSIGN_OR_RETURN(layer.ffn_norm, LoadLayerNormBias(weights, p + "mlp_norm", h, eps, c.norm_bias));
    layer.norm = NormPlacement::kPreNorm;
    e.layers.push_back(std::move(layer));
    e.layer_order.push_back(i);
  }
  BT_ASSIGN_OR_RETURN(e.final_norm, LoadLayerNormBias(weights, prefix + "final_norm", h, eps, c.norm_bias));
  return LoadHeads(c, weights, prefix, parts);
}

}  // namespace bt
