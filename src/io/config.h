// ModelConfig: the fields of a Hugging Face config.json that the encoder needs, normalised
// across architectures (DistilBERT's dim/n_layers/... map onto hidden_size/num_hidden_layers/...).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "kernels/gemm.h"

namespace bt {

// How config.json names the encoder's fields: BERT's names (bert, roberta, xlm-roberta, camembert,
// ernie, electra, albert, mpnet, deberta-v2), DistilBERT's (dim, n_layers, ...), ModernBERT's, XLNet's.
enum class ModelType { kBert, kDistilBert, kRoberta, kAlbert, kErnie, kElectra, kMpnet, kDebertaV2, kModernBert, kXlnet };

// Relative-position attention settings (models/blocks/relative_attention.h), as config.json names them.
struct RelativeConfig {
  int32_t relative_attention_num_buckets = 32;        // MPNet's bias table rows
  // DeBERTa-v2/v3
  bool relative_attention = false;
  int32_t max_relative_positions = -1;  // < 1: max_position_embeddings
  int32_t position_buckets = -1;        // > 0: log buckets, span = position_buckets
  bool share_att_key = false;
  bool c2p = false, p2c = false;        // pos_att_type
  bool norm_rel_ebd = false;            // norm_rel_ebd contains layer_norm
  bool position_biased_input = true;
  int32_t pooler_hidden_size = 0;
  Activation pooler_hidden_act = Activation::kGeluErf;
};

struct ModelConfig {
  ModelType model_type = ModelType::kBert;
  std::string model_type_name;
  std::vector<std::string> architectures;
  int32_t vocab_size = 0;
  int32_t hidden_size = 0;
  int32_t embedding_size = 0;  // ALBERT's and ELECTRA's factorised embeddings; = hidden_size elsewhere
  int32_t num_hidden_layers = 0;
  int32_t num_attention_heads = 0;
  int32_t intermediate_size = 0;
  int32_t max_position_embeddings = 0;
  int32_t type_vocab_size = 0;  // 0 = no token type embeddings (DistilBERT)
  int32_t pad_token_id = 0;
  int32_t task_type_vocab_size = 0;  // ERNIE with use_task_id: rows of the task type table; else 0
  std::string position_embedding_type = "absolute";  // BERT-like: absolute, relative_key, relative_key_query
  int32_t num_hidden_groups = 1;  // ALBERT
  int32_t inner_group_num = 1;    // ALBERT
  float layer_norm_eps = 1e-12f;
  Activation hidden_act = Activation::kGeluErf;
  std::string hidden_act_name;
  std::map<int32_t, std::string> id2label;
  std::string problem_type;  // "", single_label_classification, multi_label_classification, regression
  // "q8" when config.json marks int8-stored weights (quantization_config written by `bertology
  // convert --dtype q8`, docs/checkpoint-format.md); "" for an ordinary checkpoint.
  std::string stored_dtype;
  // Its quantization_config.format_version (kBertologyQ8FormatVersion, or 1: 8-bit linears, narrowed to
  // 7 bits at load); 0 for an ordinary checkpoint.
  int stored_q8_format = 0;
  RelativeConfig relative;

  // ModernBERT (Warner et al. 2024): rotary bases of the global and the sliding-window layers, the
  // window (a key j is seen from query i when |i - j| <= local_attention / 2), which layers are global,
  // which linears and norms have biases, the classifier's pooling and activation.
  double rope_theta_global = 160000.0, rope_theta_local = 10000.0;
  int32_t local_attention = 0;
  std::vector<bool> layer_is_global;  // per layer
  bool norm_bias = true, attention_bias = true, mlp_bias = true, classifier_bias = true, decoder_bias = true;
  std::string classifier_pooling = "cls";  // "cls" or "mean"
  Activation classifier_activation = Activation::kGeluErf;
  // XLNet (Yang et al. 2019): sequence summary ("last", "first", "mean"), its projection and activation;
  // clamp_len (-1: relative distances are not clamped).
  std::string summary_type = "last";
  bool summary_use_proj = true;
  Activation summary_activation = Activation::kNone;
  int32_t clamp_len = -1;
};

// The config.json quantization_config of a converted int8 checkpoint: format version 2 (7-bit linear
// weights, in [-64, 64]) is written; version 1 (8-bit linears, in [-127, 127]; before 2026-12-05) is
// still read, its linears narrowed to 7 bits at load (docs/checkpoint-format.md).
constexpr const char* kBertologyQuantMethod = "bertology";
constexpr int kBertologyQ8FormatVersion = 2;
constexpr int kBertologyQ8FormatVersion8BitLinears = 1;

// Parses config.json; unknown model_type or unsupported settings are UNSUPPORTED errors naming the
// field, its value and the values supported.
Result<ModelConfig> ParseModelConfig(std::string_view config_json);
Result<Activation> ParseActivation(const std::string& name, const std::string& where);
// "gelu, gelu_new, ...": the hidden_act values ParseActivation accepts.
const char* SupportedActivations();
// The position_embedding_type values the engine implements.
const char* SupportedPositionEmbeddingTypes();
// The model types config.json may name (the architecture table's, models/architecture.cc, must match:
// tests/native/test_loading_errors_families.cc checks it).
const char* SupportedModelTypeList();

}  // namespace bt
