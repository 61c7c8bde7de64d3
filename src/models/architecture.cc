#include "models/architecture.h"

namespace bt {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

HeadKind HeadFromArchitectures(const ModelConfig& config, const WeightSource& weights) {
  for (const std::string& arch : config.architectures) {
    if (EndsWith(arch, "ForMaskedLM") || EndsWith(arch, "ForPreTraining")) return HeadKind::kMaskedLm;
    if (EndsWith(arch, "ForSequenceClassification")) return HeadKind::kSequenceClassification;
    if (EndsWith(arch, "ForTokenClassification")) return HeadKind::kTokenClassification;
    if (EndsWith(arch, "ForQuestionAnswering")) return HeadKind::kQuestionAnswering;
    if (EndsWith(arch, "Model")) return HeadKind::kBase;
  }
  if (weights.Has("qa_outputs.weight")) return HeadKind::kQuestionAnswering;
  if (weights.Has("cls.predictions.bias") || weights.Has("lm_head.bias") || weights.Has("vocab_projector.bias") ||
      weights.Has("predictions.bias")) {
    return HeadKind::kMaskedLm;
  }
  if (weights.Has("classifier.weight") || weights.Has("classifier.out_proj.weight")) {
    return HeadKind::kSequenceClassification;
  }
  return HeadKind::kBase;
}

Result<std::string> BasePrefix(const ModelConfig& config, const WeightSource& weights) {
  const std::string prefixed = config.model_type_name + ".";
  if (weights.Has(prefixed + "embeddings.word_embeddings.weight")) return prefixed;
  if (weights.Has("embeddings.word_embeddings.weight")) return std::string();
  return weights.MissingTensor(prefixed + "embeddings.word_embeddings.weight");
}

void FillEncoderShape(const ModelConfig& c, EncoderWeights& e) {
  e.vocab_size = c.vocab_size;
  e.embedding_size = c.embedding_size;
  e.hidden_size = c.hidden_size;
  e.intermediate_size = c.intermediate_size;
  e.num_heads = c.num_attention_heads;
  e.max_positions = c.max_position_embeddings;
  e.type_vocab_size = c.type_vocab_size;
  e.activation = c.hidden_act;
}

Result<EmbeddingWeights> LoadEmbeddings(const ModelConfig& c, const WeightSource& weights, const std::string& prefix) {
  const std::string p = prefix + "embeddings.";
  EmbeddingWeights emb;
  BT_ASSIGN_OR_RETURN(emb.word, weights.Embeddings(p + "word_embeddings.weight", c.vocab_size, c.embedding_size));
  BT_ASSIGN_OR_RETURN(emb.position,
                      weights.Get(p + "position_embeddings.weight", {c.max_position_embeddings, c.embedding_size}));
  if (c.type_vocab_size > 0) {
    BT_ASSIGN_OR_RETURN(emb.token_type,
                        weights.Get(p + "token_type_embeddings.weight", {c.type_vocab_size, c.embedding_size}));
  }
  BT_ASSIGN_OR_RETURN(emb.norm, LoadLayerNorm(weights, p + "LayerNorm", c.embedding_size, c.layer_norm_eps));
  emb.padding_idx = c.pad_token_id;
  return emb;
}

Result<int64_t> ClassifierOutputs(const WeightSource& weights, const std::string& name) {
  const TensorView* view = weights.Find(name);
  if (view == nullptr) return weights.MissingTensor(name);
  if (view->shape.size() != 2 || view->shape[0] <= 0) {
    return Status::BadCheckpoint("tensor '" + name + "' must be a 2-D [labels, hidden] matrix");
  }
  return view->shape[0];
}

Status LoadPerTokenHead(const ModelConfig& c, const WeightSource& weights, HeadKind kind, HeadProgram& head) {
  const int64_t h = c.hidden_size;
  if (kind == HeadKind::kTokenClassification) {
    BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, "classifier.weight"));
    BT_ASSIGN_OR_RETURN(Linear classifier, LoadLinear(weights, "classifier", labels, h));
    head.steps.push_back(LinearStep(std::move(classifier), Activation::kNone));
  } else if (kind == HeadKind::kQuestionAnswering) {
    BT_ASSIGN_OR_RETURN(Linear qa, LoadLinear(weights, "qa_outputs", 2, h));
    head.steps.push_back(LinearStep(std::move(qa), Activation::kNone));
  }
  return Status::Ok();
}

Result<EncoderLayerWeights> LoadLayer(const ModelConfig& c, const WeightSource& weights, const std::string& p,
                                      const LayerNames& n) {
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  EncoderLayerWeights layer;
  BT_ASSIGN_OR_RETURN(layer.qkv, LoadFusedLinear(weights, {p + n.query, p + n.key, p + n.value}, h, h));
  BT_ASSIGN_OR_RETURN(layer.attention_output, LoadEncoderLinear(weights, p + n.attention_output, h, h));
  BT_ASSIGN_OR_RETURN(layer.attention_norm, LoadLayerNorm(weights, p + n.attention_norm, h, c.layer_norm_eps));
  BT_ASSIGN_OR_RETURN(layer.ffn_in, LoadEncoderLinear(weights, p + n.ffn_in, inter, h));
  BT_ASSIGN_OR_RETURN(layer.ffn_out, LoadEncoderLinear(weights, p + n.ffn_out, h, inter));
  BT_ASSIGN_OR_RETURN(layer.ffn_norm, LoadLayerNorm(weights, p + n.ffn_norm, h, c.layer_norm_eps));
  return layer;
}

Status LoadBertLayers(const ModelConfig& c, const WeightSource& weights, const std::string& prefix,
                      EncoderWeights& encoder) {
  static constexpr LayerNames kNames = {"attention.self.query", "attention.self.key", "attention.self.value",
                                        "attention.output.dense", "attention.output.LayerNorm",
                                        "intermediate.dense", "output.dense", "output.LayerNorm"};
  for (int32_t i = 0; i < c.num_hidden_layers; ++i) {
    BT_ASSIGN_OR_RETURN(EncoderLayerWeights layer,
                        LoadLayer(c, weights, prefix + "encoder.layer." + std::to_string(i) + ".", kNames));
    encoder.layers.push_back(std::move(layer));
    encoder.layer_order.push_back(i);
  }
  return Status::Ok();
}

Status LoadMaskedLmHead(const ModelConfig& c, const WeightSource& weights, const MaskedLmNames& n,
                        Activation activation, const std::string& word_embeddings, HeadProgram& head) {
  const int64_t width = c.embedding_size;  // = hidden_size except for ALBERT
  BT_ASSIGN_OR_RETURN(Linear transform, LoadLinear(weights, n.transform, width, c.hidden_size));
  BT_ASSIGN_OR_RETURN(LayerNormWeights norm, LoadLayerNorm(weights, n.norm, width, c.layer_norm_eps));
  const std::string own = n.decoder + ".weight";
  BT_ASSIGN_OR_RETURN(Linear decoder, LoadTiedLinear(weights, weights.Has(own) ? own : word_embeddings, n.bias,
                                                     c.vocab_size, width));
  head.steps.push_back(LinearStep(std::move(transform), activation));
  head.steps.push_back(NormStep(std::move(norm)));
  head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
  return Status::Ok();
}

Status LoadSequenceHead(const WeightSource& weights, int64_t h, const std::string& hidden, Activation activation,
                        const std::string& classifier, HeadProgram& head) {
  head.first_token_only = true;
  BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, classifier + ".weight"));
  BT_ASSIGN_OR_RETURN(Linear first, LoadLinear(weights, hidden, h, h));
  BT_ASSIGN_OR_RETURN(Linear last, LoadLinear(weights, classifier, labels, h));
  head.steps.push_back(LinearStep(std::move(first), activation));
  head.steps.push_back(LinearStep(std::move(last), Activation::kNone));
  return Status::Ok();
}

Status LoadPooler(const WeightSource& weights, int64_t h, const std::string& dense, HeadProgram& pooler) {
  if (!weights.Has(dense + ".weight")) return Status::Ok();
  pooler.first_token_only = true;
  BT_ASSIGN_OR_RETURN(Linear linear, LoadLinear(weights, dense, h, h));
  pooler.steps.push_back(LinearStep(std::move(linear), Activation::kTanh));
  return Status::Ok();
}

Result<ModelParts> LoadModelParts(const ModelConfig& config, const WeightSource& weights) {
  switch (config.model_type) {
    case ModelType::kBert: return LoadBertParts(config, weights);
    case ModelType::kRoberta: return LoadRobertaParts(config, weights);
    case ModelType::kDistilBert: return LoadDistilBertParts(config, weights);
    case ModelType::kAlbert: return LoadAlbertParts(config, weights);
  }
  return Status::Internal("unknown model type");
}

}  // namespace bt
