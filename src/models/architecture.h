// The architecture table: for each model_type, how its checkpoint's tensors map onto the blocks a
// layer is built from, which block of each kind it uses, and its heads. A family is one entry of the
// table (architecture.cc, kArchitectures) plus any block it needs that does not exist yet — never a new
// forward. LoadModelParts reads a checkpoint through its entry.
//
// The whole path of adding a family (or a block): docs/architecture.md, "Adding an architecture".
#pragma once

#include <string>
#include <string_view>

#include "io/config.h"
#include "models/encoder.h"
#include "models/head.h"
#include "models/model_parts.h"
#include "models/weights.h"

namespace bt {

// Checkpoint names of one encoder layer's tensors, relative to the layer's prefix.
struct LayerNames {
  const char *query, *key, *value, *attention_output, *attention_norm, *ffn_in, *ffn_out, *ffn_norm;
};

enum class LayerSharing {
  kNone,        // layer i is "<layers>.i."
  kAlbertGroups // layer i applies group i / (layers / groups): "<layers>.g.albert_layers.0."
};

// Sequence classification: the first token -> `dense` (activation) -> `classifier`.
struct SequenceHeadNames {
  const char* dense;      // under the base prefix when dense_is_pooler (BERT, ALBERT: the pooler feeds it)
  bool dense_is_pooler;
  Activation activation;
  const char* classifier;
  bool pooler_hidden_act = false;  // DeBERTa's ContextPooler: `dense` applies config pooler_hidden_act
};

// Masked LM: `transform` (activation) -> LayerNorm `norm` -> `decoder` (its own weight when saved, else
// the tied word embeddings) + `bias`.
struct MaskedLmNames {
  const char *transform, *norm, *decoder, *bias;
  bool hidden_act;        // the transform uses config.hidden_act; else `activation`
  Activation activation;
};

// ELECTRA's discriminator (ElectraForPreTraining): every token -> `dense` (config.hidden_act) ->
// `prediction` (one logit: the probability, through a sigmoid, that the token was replaced).
struct DiscriminatorNames {
  const char *dense, *prediction;
};

// The layers: where they are, their tensors, and the blocks they are built from.
struct LayerSpec {
  const char* path;  // "encoder.layer" -> "<prefix>encoder.layer.<i>."
  LayerSharing sharing;
  LayerNames names;
  AttentionScores scores;
  FeedForwardKind feed_forward;
  NormPlacement norm;
};

struct ArchitectureSpec {
  const char* model_type;  // config.json's model_type
  // The base model's prefix in checkpoints saved with a head ("roberta" for xlm-roberta and camembert,
  // "deberta" for deberta-v2); null: the model type.
  const char* base_prefix;
  // Embeddings block.
  PositionIds positions;
  const char* embedding_projection;  // E -> H under the base prefix, or null
  LayerSpec layers;
  // Heads (token classification `classifier` and question answering `qa_outputs` are common to all).
  const char* pooler;  // the base model's pooler (first token -> dense -> tanh) under the base prefix, or null
  SequenceHeadNames sequence;
  MaskedLmNames masked_lm;
  DiscriminatorNames discriminator;  // {null, null}: no discriminator head (ForPreTraining is the MLM)
  // A second MLM layout used when the checkpoint has its bias (DeBERTa: legacy cls.predictions.*);
  // transform null: none.
  MaskedLmNames masked_lm_alt;
  // A family whose checkpoint is laid out unlike BERT's (fused or transposed projections, no biases,
  // per-layer attention kinds) reads it with its own function into the same blocks
  // (architecture_loaders.h: ModernBERT, XLNet); the fields above are then unused.
  Status (*load)(const ModelConfig& config, const WeightSource& weights, ModelParts& parts) = nullptr;
};

// The entry for config.model_type_name, or null.
const ArchitectureSpec* FindArchitecture(std::string_view model_type);
// "bert, distilbert, roberta, ...": every model type of the table, for error messages.
std::string SupportedModelTypes();

Result<ModelParts> LoadModelParts(const ModelConfig& config, const WeightSource& weights);

// --- the loader's steps (architecture.cc), public for tests and tools ---
// The head named by config.architectures (e.g. "BertForMaskedLM"), or guessed from the tensors.
HeadKind HeadFromArchitectures(const ModelConfig& config, const WeightSource& weights);
// "<model_type>." when the checkpoint was saved with a head, "" for a bare base model.
Result<std::string> BasePrefix(const ModelConfig& config, const WeightSource& weights);
Result<EmbeddingWeights> LoadEmbeddings(const ModelConfig& config, const WeightSource& weights,
                                        const std::string& prefix);
// Number of labels of a classifier, from its weight's first dimension.
Result<int64_t> ClassifierOutputs(const WeightSource& weights, const std::string& name);

}  // namespace bt
