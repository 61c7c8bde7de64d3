#include "models/architecture.h"

#include "models/architecture_loaders.h"
#include "models/layers.h"
#include "models/relative_loader.h"

namespace bt {
namespace {

// Post-norm layers with an activation feed-forward: every family but ModernBERT and XLNet (whose
// loaders build their own).
constexpr LayerSpec PostNormLayers(const char* path, LayerNames names,
                                   AttentionScores scores = AttentionScores::kScaledDotProduct,
                                   LayerSharing sharing = LayerSharing::kNone) {
  return {.path = path,
          .sharing = sharing,
          .names = names,
          .scores = scores,
          .feed_forward = FeedForwardKind::kActivation,
          .norm = NormPlacement::kPostNorm};
}

// The table. Each entry: BERT (Devlin et al. 2018), RoBERTa (Liu et al. 2019: positions counted from
// padding_idx + 1 over non-pad tokens, an LM head with erf GELU, a classification head on <s>),
// DistilBERT (Sanh et al. 2019: "transformer.layer.N", no token types), ALBERT (Lan et al. 2019:
// factorised embeddings E -> H, layers shared within groups), XLM-RoBERTa and CamemBERT (RoBERTa's
// math and tensor names, prefix "roberta."), ERNIE 3.0 (BERT + task type embeddings when use_task_id),
// ELECTRA (Clark et al. 2020: embeddings of embedding_size projected by `embeddings_project`; a
// discriminator, a classification head with GELU, a generator MLM head of embedding_size).
constexpr LayerSpec kBertLayers = PostNormLayers(
    "encoder.layer", {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                      "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"});

// BertOnlyMLMHead (BERT, ERNIE; DeBERTa's legacy layout): dense -> hidden_act -> LayerNorm -> decoder + bias.
constexpr MaskedLmNames kBertMaskedLm = {"cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
                                         "cls.predictions.decoder", "cls.predictions.bias", true, Activation::kNone};

// BERT and ERNIE 3.0 (BERT's names under "ernie."; task types in the embeddings).
constexpr ArchitectureSpec BertLike(const char* model_type) {
  return {
      .model_type = model_type,
      .base_prefix = nullptr,
      .positions = PositionIds::kAbsolute,
      .embedding_projection = nullptr,
      .layers = kBertLayers,
      .pooler = "pooler.dense",
      .sequence = {"pooler.dense", true, Activation::kTanh, "classifier"},
      .masked_lm = kBertMaskedLm,
      .discriminator = {nullptr, nullptr},
  };
}

// RoBERTa and the families that are RoBERTa under another name (XLM-RoBERTa, CamemBERT): checkpoints
// store them under "roberta.".
constexpr ArchitectureSpec RobertaLike(const char* model_type) {
  return {
      .model_type = model_type,
      .base_prefix = "roberta",
      .positions = PositionIds::kAfterPadding,
      .embedding_projection = nullptr,
      .layers = kBertLayers,
      .pooler = "pooler.dense",
      .sequence = {"classifier.dense", false, Activation::kTanh, "classifier.out_proj"},
      // RobertaLMHead applies erf GELU whatever hidden_act says.
      .masked_lm = {"lm_head.dense", "lm_head.layer_norm", "lm_head.decoder", "lm_head.bias", false,
                    Activation::kGeluErf},
      .discriminator = {nullptr, nullptr},
  };
}

const ArchitectureSpec kArchitectures[] = {
    BertLike("bert"),
    RobertaLike("roberta"),
    RobertaLike("xlm-roberta"),
    RobertaLike("camembert"),
    BertLike("ernie"),
    {
        .model_type = "electra",
        .base_prefix = nullptr,
        .positions = PositionIds::kAbsolute,
        .embedding_projection = "embeddings_project",  // only when embedding_size != hidden_size
        .layers = kBertLayers,
        .pooler = nullptr,
        // ElectraClassificationHead: first token -> dense -> GELU (erf, whatever hidden_act says) -> out_proj.
        .sequence = {"classifier.dense", false, Activation::kGeluErf, "classifier.out_proj"},
        // ElectraGeneratorPredictions: dense H -> E, GELU (erf), LayerNorm(E); the LM head tied to the word
        // embeddings (E wide) with its own bias.
        .masked_lm = {"generator_predictions.dense", "generator_predictions.LayerNorm", "generator_lm_head",
                      "generator_lm_head.bias", false, Activation::kGeluErf},
        .discriminator = {"discriminator_predictions.dense", "discriminator_predictions.dense_prediction"},
    },
    {
        .model_type = "distilbert",
        .base_prefix = nullptr,
        .positions = PositionIds::kAbsolute,
        .embedding_projection = nullptr,
        .layers = PostNormLayers("transformer.layer", {"attention.q_lin", "attention.k_lin", "attention.v_lin",
                                                       "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2",
                                                       "output_layer_norm"}),
        .pooler = nullptr,
        .sequence = {"pre_classifier", false, Activation::kRelu, "classifier"},
        .masked_lm = {"vocab_transform", "vocab_layer_norm", "vocab_projector", "vocab_projector.bias", true,
                      Activation::kNone},
        .discriminator = {nullptr, nullptr},
    },
    {
        .model_type = "albert",
        .base_prefix = nullptr,
        .positions = PositionIds::kAbsolute,
        .embedding_projection = "encoder.embedding_hidden_mapping_in",
        .layers = PostNormLayers("encoder.albert_layer_groups",
                                 {"attention.query", "attention.key", "attention.value", "attention.dense",
                                  "attention.LayerNorm", "ffn", "ffn_output", "full_layer_layer_norm"},
                                 AttentionScores::kScaledDotProduct, LayerSharing::kAlbertGroups),
        .pooler = "pooler",
        .sequence = {"pooler", true, Activation::kTanh, "classifier"},
        .masked_lm = {"predictions.dense", "predictions.LayerNorm", "predictions.decoder", "predictions.bias", true,
                      Activation::kNone},
        .discriminator = {nullptr, nullptr},
    },
    // MPNet (Song et al. 2020): RoBERTa's embeddings without token types, a bucketed relative position
    // bias shared by every layer (blocks/relative_attention.h), RoBERTa's heads.
    {
        .model_type = "mpnet",
        .base_prefix = nullptr,
        .positions = PositionIds::kAfterPadding,
        .embedding_projection = nullptr,
        .layers = PostNormLayers("encoder.layer",
                                 {"attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o",
                                  "attention.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"},
                                 AttentionScores::kRelative),
        .pooler = "pooler.dense",
        .sequence = {"classifier.dense", false, Activation::kTanh, "classifier.out_proj"},
        // MPNetLMHead: dense -> erf GELU -> layer_norm -> decoder (tied) + bias.
        .masked_lm = {"lm_head.dense", "lm_head.layer_norm", "lm_head.decoder", "lm_head.bias", false,
                      Activation::kGeluErf},
        .discriminator = {nullptr, nullptr},
    },
    // DeBERTa-v2/v3 (He et al. 2021): disentangled attention (blocks/relative_attention.h), optional
    // absolute positions, the embedding output multiplied by the mask, a ContextPooler (dense ->
    // pooler_hidden_act) for classification, the MLM head of real checkpoints (lm_predictions.lm_head:
    // dense -> hidden_act -> LayerNorm -> word embeddingsᵀ + bias) or the legacy cls.predictions one.
    {
        .model_type = "deberta-v2",
        .base_prefix = "deberta",
        .positions = PositionIds::kAbsolute,  // kNone unless position_biased_input (LoadModelParts)
        .embedding_projection = nullptr,
        .layers = PostNormLayers("encoder.layer",
                                 {"attention.self.query_proj", "attention.self.key_proj", "attention.self.value_proj",
                                  "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
                                  "output.dense", "output.LayerNorm"},
                                 AttentionScores::kRelative),
        .pooler = nullptr,
        .sequence = {"pooler.dense", false, Activation::kNone, "classifier", true},
        .masked_lm = {"lm_predictions.lm_head.dense", "lm_predictions.lm_head.LayerNorm", "lm_predictions.lm_head.decoder",
                      "lm_predictions.lm_head.bias", true, Activation::kNone},
        .discriminator = {nullptr, nullptr},
        .masked_lm_alt = kBertMaskedLm,
    },
    // ModernBERT (Warner et al. 2024): rotary, sliding-window local layers, GeGLU, pre-norm without biases.
    {.model_type = "modernbert", .positions = PositionIds::kNone, .embedding_projection = nullptr, .layers = {},
     .pooler = nullptr, .sequence = {}, .masked_lm = {}, .load = LoadModernBert},
    // XLNet (Yang et al. 2019): relative attention with segment terms, post-norm, sequence summary.
    {.model_type = "xlnet", .positions = PositionIds::kNone, .embedding_projection = nullptr, .layers = {},
     .pooler = nullptr, .sequence = {}, .masked_lm = {}, .load = LoadXlnet},
};

// DeBERTa without position_biased_input has no absolute position table.
bool AbsolutePositions(const ModelConfig& c) {
  return c.model_type != ModelType::kDebertaV2 || c.relative.position_biased_input;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void FillEncoderShape(const ModelConfig& c, EncoderWeights& e) {
  e.vocab_size = c.vocab_size;
  e.embedding_size = c.embedding_size;
  e.hidden_size = c.hidden_size;
  e.intermediate_size = c.intermediate_size;
  e.num_heads = c.num_attention_heads;
  e.max_positions = c.max_position_embeddings;
  e.type_vocab_size = c.type_vocab_size;
}

Result<EncoderLayerWeights> LoadLayer(const LayerSpec& spec, const ModelConfig& c, const WeightSource& weights,
                                      const std::string& p) {
  const LayerNames& n = spec.names;
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  EncoderLayerWeights layer;
  BT_ASSIGN_OR_RETURN(layer.attention.qkv, LoadFusedLinear(weights, {p + n.query, p + n.key, p + n.value}, h, h));
  BT_ASSIGN_OR_RETURN(layer.attention.output, LoadEncoderLinear(weights, p + n.attention_output, h, h));
  layer.attention.heads = c.num_attention_heads;
  layer.attention.scores = spec.scores;
  BT_ASSIGN_OR_RETURN(layer.attention_norm, LoadLayerNorm(weights, p + n.attention_norm, h, c.layer_norm_eps));
  BT_ASSIGN_OR_RETURN(layer.ffn.in, LoadEncoderLinear(weights, p + n.ffn_in, inter, h));
  BT_ASSIGN_OR_RETURN(layer.ffn.out, LoadEncoderLinear(weights, p + n.ffn_out, h, inter));
  layer.ffn.activation = c.hidden_act;
  layer.ffn.kind = spec.feed_forward;
  BT_ASSIGN_OR_RETURN(layer.ffn_norm, LoadLayerNorm(weights, p + n.ffn_norm, h, c.layer_norm_eps));
  layer.norm = spec.norm;
  return layer;
}

Status LoadLayers(const LayerSpec& spec, const ModelConfig& c, const WeightSource& weights,
                  const std::string& prefix, EncoderWeights& encoder) {
  const std::string path = prefix + spec.path + ".";
  if (spec.sharing == LayerSharing::kNone) {
    for (int32_t i = 0; i < c.num_hidden_layers; ++i) {
      BT_ASSIGN_OR_RETURN(EncoderLayerWeights layer, LoadLayer(spec, c, weights, path + std::to_string(i) + "."));
      encoder.layers.push_back(std::move(layer));
      encoder.layer_order.push_back(i);
    }
    return Status::Ok();
  }
  if (c.inner_group_num != 1) {
    return Status::Unsupported("config.json: ALBERT inner_group_num " + std::to_string(c.inner_group_num) +
                               " is not supported (only 1, as in every released ALBERT)");
  }
  for (int32_t g = 0; g < c.num_hidden_groups; ++g) {
    BT_ASSIGN_OR_RETURN(EncoderLayerWeights layer,
                        LoadLayer(spec, c, weights, path + std::to_string(g) + ".albert_layers.0."));
    encoder.layers.push_back(std::move(layer));
  }
  const int32_t layers_per_group = c.num_hidden_layers / c.num_hidden_groups;
  for (int32_t i = 0; i < c.num_hidden_layers; ++i) encoder.layer_order.push_back(i / layers_per_group);
  return Status::Ok();
}

// Token classification (`classifier`) and question answering (`qa_outputs`): the same names in every
// architecture.
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

Status LoadSequenceHead(const SequenceHeadNames& n, const ModelConfig& c, const WeightSource& weights,
                        const std::string& prefix, HeadProgram& head) {
  const int64_t h = c.hidden_size;
  head.first_token_only = true;
  BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, std::string(n.classifier) + ".weight"));
  BT_ASSIGN_OR_RETURN(Linear first, LoadLinear(weights, (n.dense_is_pooler ? prefix : "") + n.dense, h, h));
  BT_ASSIGN_OR_RETURN(Linear last, LoadLinear(weights, n.classifier, labels, h));
  head.steps.push_back(LinearStep(std::move(first), n.pooler_hidden_act ? c.relative.pooler_hidden_act : n.activation));
  head.steps.push_back(LinearStep(std::move(last), Activation::kNone));
  return Status::Ok();
}

Status LoadMaskedLmHead(const MaskedLmNames& n, const ModelConfig& c, const WeightSource& weights,
                        const std::string& prefix, const EmbeddingTable& word, HeadProgram& head) {
  const int64_t width = c.embedding_size;  // = hidden_size except for ALBERT
  BT_ASSIGN_OR_RETURN(Linear transform, LoadLinear(weights, n.transform, width, c.hidden_size));
  BT_ASSIGN_OR_RETURN(LayerNormWeights norm, LoadLayerNorm(weights, n.norm, width, c.layer_norm_eps));
  const std::string own = std::string(n.decoder) + ".weight";
  const std::string tied = prefix + "embeddings.word_embeddings.weight";
  const bool is_tied = !weights.Has(own);
  BT_ASSIGN_OR_RETURN(Linear decoder, LoadTiedLinear(weights, is_tied ? tied : own, n.bias, c.vocab_size, width,
                                                     is_tied ? &word : nullptr));
  head.steps.push_back(LinearStep(std::move(transform), n.hidden_act ? c.hidden_act : n.activation));
  head.steps.push_back(NormStep(std::move(norm)));
  head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
  return Status::Ok();
}

Status LoadDiscriminatorHead(const DiscriminatorNames& n, const ModelConfig& c, const WeightSource& weights,
                             HeadProgram& head) {
  const int64_t h = c.hidden_size;
  BT_ASSIGN_OR_RETURN(Linear dense, LoadLinear(weights, n.dense, h, h));
  BT_ASSIGN_OR_RETURN(Linear prediction, LoadLinear(weights, n.prediction, 1, h));
  head.steps.push_back(LinearStep(std::move(dense), c.hidden_act));
  head.steps.push_back(LinearStep(std::move(prediction), Activation::kNone));
  return Status::Ok();
}

// A base model's pooler (first token -> dense -> tanh) when the checkpoint has `<dense>.weight`.
Status LoadPooler(const WeightSource& weights, int64_t h, const std::string& dense, HeadProgram& pooler) {
  if (!weights.Has(dense + ".weight")) return Status::Ok();
  pooler.first_token_only = true;
  BT_ASSIGN_OR_RETURN(Linear linear, LoadLinear(weights, dense, h, h));
  pooler.steps.push_back(LinearStep(std::move(linear), Activation::kTanh));
  return Status::Ok();
}

}  // namespace

const ArchitectureSpec* FindArchitecture(std::string_view model_type) {
  for (const ArchitectureSpec& spec : kArchitectures) {
    if (model_type == spec.model_type) return &spec;
  }
  return nullptr;
}

std::string SupportedModelTypes() {
  std::string list;
  for (const ArchitectureSpec& spec : kArchitectures) list += (list.empty() ? "" : ", ") + std::string(spec.model_type);
  return list;
}

HeadKind HeadFromArchitectures(const ModelConfig& config, const WeightSource& weights) {
  const ArchitectureSpec* spec = FindArchitecture(config.model_type_name);
  const bool discriminator = spec != nullptr && spec->discriminator.dense != nullptr;
  for (const std::string& arch : config.architectures) {
    if (discriminator && EndsWith(arch, "ForPreTraining")) return HeadKind::kReplacedTokenDetection;
    if (EndsWith(arch, "ForMaskedLM") || EndsWith(arch, "ForPreTraining")) return HeadKind::kMaskedLm;
    if (EndsWith(arch, "ForSequenceClassification")) return HeadKind::kSequenceClassification;
    if (EndsWith(arch, "ForTokenClassification")) return HeadKind::kTokenClassification;
    if (EndsWith(arch, "ForQuestionAnswering") || EndsWith(arch, "ForQuestionAnsweringSimple")) {
      return HeadKind::kQuestionAnswering;
    }
    if (EndsWith(arch, "LMHeadModel")) return HeadKind::kMaskedLm;  // XLNetLMHeadModel: per-token vocabulary logits
    if (EndsWith(arch, "Model")) return HeadKind::kBase;
  }
  if (weights.Has("qa_outputs.weight")) return HeadKind::kQuestionAnswering;
  if (discriminator && weights.Has(std::string(spec->discriminator.prediction) + ".weight")) {
    return HeadKind::kReplacedTokenDetection;
  }
  if (weights.Has("cls.predictions.bias") || weights.Has("lm_head.bias") || weights.Has("vocab_projector.bias") ||
      weights.Has("predictions.bias") || (spec != nullptr && weights.Has(spec->masked_lm.bias))) {
    return HeadKind::kMaskedLm;
  }
  if (weights.Has("classifier.weight") || weights.Has("classifier.out_proj.weight")) {
    return HeadKind::kSequenceClassification;
  }
  return HeadKind::kBase;
}

Result<std::string> BasePrefix(const ModelConfig& config, const WeightSource& weights) {
  const ArchitectureSpec* spec = FindArchitecture(config.model_type_name);
  const std::string prefixed =
      (spec != nullptr && spec->base_prefix != nullptr ? std::string(spec->base_prefix) : config.model_type_name) + ".";
  if (weights.Has(prefixed + "embeddings.word_embeddings.weight")) return prefixed;
  if (weights.Has("embeddings.word_embeddings.weight")) return std::string();
  return weights.MissingTensor(prefixed + "embeddings.word_embeddings.weight");
}

Result<EmbeddingWeights> LoadEmbeddings(const ModelConfig& c, const WeightSource& weights, const std::string& prefix) {
  const std::string p = prefix + "embeddings.";
  EmbeddingWeights emb;
  BT_ASSIGN_OR_RETURN(emb.word, weights.Embeddings(p + "word_embeddings.weight", c.vocab_size, c.embedding_size));
  if (AbsolutePositions(c)) {
    BT_ASSIGN_OR_RETURN(emb.position,
                        weights.Get(p + "position_embeddings.weight", {c.max_position_embeddings, c.embedding_size}));
  }
  if (c.type_vocab_size > 0) {
    BT_ASSIGN_OR_RETURN(emb.token_type,
                        weights.Get(p + "token_type_embeddings.weight", {c.type_vocab_size, c.embedding_size}));
  }
  if (c.task_type_vocab_size > 0) {  // ERNIE with use_task_id
    BT_ASSIGN_OR_RETURN(emb.task_type, weights.Get(p + "task_type_embeddings.weight",
                                                   {c.task_type_vocab_size, c.embedding_size}));
    emb.task_type_vocab = c.task_type_vocab_size;
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

Result<ModelParts> LoadModelParts(const ModelConfig& c, const WeightSource& weights) {
  const ArchitectureSpec* spec = FindArchitecture(c.model_type_name);
  if (spec == nullptr) {
    return Status::Unsupported("config.json: unknown model_type '" + c.model_type_name + "' (supported: " +
                               SupportedModelTypes() + ")");
  }
  ModelParts parts;
  if (spec->load != nullptr) {
    FillEncoderShape(c, parts.encoder);
    parts.head = HeadFromArchitectures(c, weights);
    BT_RETURN_IF_ERROR(spec->load(c, weights, parts));
    return parts;
  }
  BT_ASSIGN_OR_RETURN(std::string prefix, BasePrefix(c, weights));
  FillEncoderShape(c, parts.encoder);
  BT_ASSIGN_OR_RETURN(parts.encoder.embeddings, LoadEmbeddings(c, weights, prefix));
  parts.encoder.embeddings.positions = spec->positions;
  if (c.model_type == ModelType::kDebertaV2) {
    if (!AbsolutePositions(c)) {
      parts.encoder.embeddings.positions = PositionIds::kNone;
      parts.encoder.max_positions = RelativeMaxSequence(c);
    }
    parts.encoder.embeddings.position_before_type = true;
    parts.encoder.embeddings.zero_padded_rows = true;
  }
  if (parts.encoder.max_sequence() <= 0) {
    return Status::BadCheckpoint("config.json: max_position_embeddings leaves no room after RoBERTa's padding offset");
  }
  // ALBERT always projects; ELECTRA only when embedding_size differs from hidden_size (HF creates
  // embeddings_project only then).
  if (spec->embedding_projection != nullptr &&
      (c.model_type != ModelType::kElectra || c.embedding_size != c.hidden_size)) {
    BT_ASSIGN_OR_RETURN(parts.encoder.embeddings.projection,
                        LoadLinear(weights, prefix + spec->embedding_projection, c.hidden_size, c.embedding_size));
  }
  BT_RETURN_IF_ERROR(LoadLayers(spec->layers, c, weights, prefix, parts.encoder));
  if (HasRelativeAttention(c)) {
    BT_RETURN_IF_ERROR(LoadRelativeAttention(c, weights, prefix, prefix + spec->layers.path + ".", spec->layers.names.query,
                                             parts.encoder.max_sequence(), parts.encoder));
  }
  parts.head = HeadFromArchitectures(c, weights);
  // A bare base model saved under a masked-LM architecture name (sentence-transformers/all-mpnet-base-v2
  // says MPNetForMaskedLM but holds only the base model: no "mpnet." prefix, no LM head) is a base model.
  if (parts.head == HeadKind::kMaskedLm && prefix.empty() && !weights.Has(spec->masked_lm.bias) &&
      !weights.Has(std::string(spec->masked_lm.transform) + ".weight") &&
      !(spec->masked_lm_alt.bias != nullptr && weights.Has(spec->masked_lm_alt.bias))) {
    parts.head = HeadKind::kBase;
  }
  switch (parts.head) {
    case HeadKind::kSequenceClassification:
      BT_RETURN_IF_ERROR(LoadSequenceHead(spec->sequence, c, weights, prefix, parts.head_program));
      if (spec->sequence.dense_is_pooler) return parts;  // the pooler feeds the classifier
      break;
    case HeadKind::kMaskedLm:
      BT_RETURN_IF_ERROR(LoadMaskedLmHead(spec->masked_lm_alt.transform != nullptr &&
                                              weights.Has(spec->masked_lm_alt.bias) && !weights.Has(spec->masked_lm.bias)
                                          ? spec->masked_lm_alt
                                          : spec->masked_lm,
                                          c, weights, prefix, parts.encoder.embeddings.word, parts.head_program));
      break;
    case HeadKind::kReplacedTokenDetection:
      BT_RETURN_IF_ERROR(LoadDiscriminatorHead(spec->discriminator, c, weights, parts.head_program));
      break;
    default:
      BT_RETURN_IF_ERROR(LoadPerTokenHead(c, weights, parts.head, parts.head_program));
  }
  if (spec->pooler != nullptr) BT_RETURN_IF_ERROR(LoadPooler(weights, c.hidden_size, prefix + spec->pooler, parts.pooler));
  return parts;
}

}  // namespace bt
