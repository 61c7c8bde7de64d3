#include "io/config.h"

#include <algorithm>
#include <cctype>

#include "io/json_util.h"

namespace bt {

Result<Activation> ParseActivation(const std::string& name, const std::string& where);

namespace {

constexpr const char* kWhere = "config.json";

// Every config.json error names the field at fault in its details (JS: err.file 'config.json',
// err.field 'hidden_size'; a nested field by its path, 'quantization_config.format'): a wrong type, a
// value out of range, a name the engine does not support.
StatusDetails Field(std::string field) {
  StatusDetails details;
  details.file = kWhere;
  details.field = std::move(field);
  return details;
}

template <class T>
Result<T> AtField(Result<T> result, const std::string& field) {
  if (result.ok()) return result;
  return result.status().WithDetails(Field(field));
}

// The json_util reads of a top-level field, naming it when it has the wrong type.
Result<int64_t> Int(const Json& json, const char* key, int64_t fallback) {
  return AtField(JsonInt(json, key, fallback, kWhere), key);
}
Result<double> Number(const Json& json, const char* key, double fallback) {
  return AtField(JsonNumber(json, key, fallback, kWhere), key);
}
Result<bool> Bool(const Json& json, const char* key, bool fallback) {
  return AtField(JsonBool(json, key, fallback, kWhere), key);
}
Result<std::string> String(const Json& json, const char* key, const std::string& fallback) {
  return AtField(JsonString(json, key, fallback, kWhere), key);
}

// Reads an integer field that must be positive.
Status ReadPositive(const Json& json, const char* key, int64_t fallback, int32_t* out) {
  BT_ASSIGN_OR_RETURN(int64_t value, Int(json, key, fallback));
  if (value <= 0 || value > (1 << 24)) {
    return Status::BadCheckpoint(std::string(kWhere) + ": field '" + key + "' must be a positive integer (got " +
                         std::to_string(value) + ")")
        .WithDetails(Field(key));
  }
  *out = static_cast<int32_t>(value);
  return Status::Ok();
}

Status ReadLabels(const Json& json, ModelConfig* config) {
  auto it = json.find("id2label");
  if (it == json.end() || it->is_null()) return Status::Ok();
  if (!it->is_object()) return Status::BadCheckpoint("config.json: field 'id2label' must be an object").WithDetails(Field("id2label"));
  for (auto label = it->begin(); label != it->end(); ++label) {
    char* end = nullptr;
    long id = std::strtol(label.key().c_str(), &end, 10);
    if (label.key().empty() || *end != '\0' || id < 0 || id > (1 << 20) || !label.value().is_string()) {
      return Status::BadCheckpoint("config.json: id2label entries must map integer ids to strings")
          .WithDetails(Field("id2label"));
    }
    config->id2label[static_cast<int32_t>(id)] = label.value().get<std::string>();
  }
  return Status::Ok();
}

Status ReadDistilBert(const Json& json, ModelConfig* c) {
  BT_RETURN_IF_ERROR(ReadPositive(json, "dim", 768, &c->hidden_size));
  BT_RETURN_IF_ERROR(ReadPositive(json, "n_layers", 6, &c->num_hidden_layers));
  BT_RETURN_IF_ERROR(ReadPositive(json, "n_heads", 12, &c->num_attention_heads));
  BT_RETURN_IF_ERROR(ReadPositive(json, "hidden_dim", 3072, &c->intermediate_size));
  BT_ASSIGN_OR_RETURN(c->hidden_act_name, String(json, "activation", "gelu"));
  // sinusoidal_pos_embds needs nothing special: the table is saved in the checkpoint like a learned one.
  c->type_vocab_size = 0;
  c->layer_norm_eps = 1e-12f;  // fixed in DistilBERT's modelling code
  return Status::Ok();
}

// DeBERTa-v2/v3's relative attention fields (DebertaV2Config and the getattr defaults of its modelling code).
Status ReadDebertaV2(const Json& json, ModelConfig* c) {
  RelativeConfig& r = c->relative;
  BT_ASSIGN_OR_RETURN(r.relative_attention, Bool(json, "relative_attention", false));
  BT_ASSIGN_OR_RETURN(int64_t max_rel, Int(json, "max_relative_positions", -1));
  BT_ASSIGN_OR_RETURN(int64_t buckets, Int(json, "position_buckets", -1));
  if (max_rel > (1 << 20) || buckets > (1 << 20)) {
    return Status::BadCheckpoint("config.json: max_relative_positions / position_buckets out of range")
        .WithDetails(Field(max_rel > (1 << 20) ? "max_relative_positions" : "position_buckets"));
  }
  r.max_relative_positions = static_cast<int32_t>(max_rel);
  r.position_buckets = static_cast<int32_t>(buckets);
  BT_ASSIGN_OR_RETURN(r.share_att_key, Bool(json, "share_att_key", false));
  BT_ASSIGN_OR_RETURN(r.position_biased_input, Bool(json, "position_biased_input", true));
  // pos_att_type: a list (["p2c", "c2p"]) or, in older configs, a string "p2c|c2p".
  std::vector<std::string> types;
  auto it = json.find("pos_att_type");
  if (it != json.end() && it->is_string()) {
    std::string text = it->get<std::string>();
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('|', start);
      if (end == std::string::npos) end = text.size();
      std::string part = text.substr(start, end - start);
      part.erase(0, part.find_first_not_of(' '));
      part.erase(part.find_last_not_of(' ') + 1);
      for (char& ch : part) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      types.push_back(part);
      start = end + 1;
    }
  } else if (it != json.end() && it->is_array()) {
    for (const Json& t : *it) {
      if (!t.is_string()) {
        return Status::BadCheckpoint("config.json: field 'pos_att_type' must list strings").WithDetails(Field("pos_att_type"));
      }
      types.push_back(t.get<std::string>());
    }
  } else if (it != json.end() && !it->is_null()) {
    return Status::BadCheckpoint("config.json: field 'pos_att_type' must be a list or a string")
        .WithDetails(Field("pos_att_type"));
  }
  for (const std::string& t : types) {
    if (t == "c2p") {
      r.c2p = true;
    } else if (t == "p2c") {
      r.p2c = true;
    } else if (!t.empty() && t != "none") {
      return Status::Unsupported("config.json: pos_att_type '" + t + "' is not supported (c2p, p2c)")
          .WithDetails(Field("pos_att_type"));
    }
  }
  BT_ASSIGN_OR_RETURN(std::string norm, String(json, "norm_rel_ebd", "none"));
  r.norm_rel_ebd = norm.find("layer_norm") != std::string::npos;
  BT_ASSIGN_OR_RETURN(int64_t conv, Int(json, "conv_kernel_size", 0));
  if (conv > 0) {
    return Status::Unsupported("config.json: DeBERTa conv_kernel_size " + std::to_string(conv) +
                               " (the convolution of deberta-v2-xlarge/xxlarge) is not supported")
        .WithDetails(Field("conv_kernel_size"));
  }
  BT_ASSIGN_OR_RETURN(int64_t embedding, Int(json, "embedding_size", c->hidden_size));
  if (embedding != c->hidden_size) {
    return Status::Unsupported("config.json: DeBERTa embedding_size != hidden_size (embed_proj) is not supported")
        .WithDetails(Field("embedding_size"));
  }
  BT_ASSIGN_OR_RETURN(int64_t head_size, Int(json, "attention_head_size", c->hidden_size / c->num_attention_heads));
  if (head_size * c->num_attention_heads != c->hidden_size) {
    return Status::Unsupported("config.json: DeBERTa attention_head_size × heads != hidden_size is not supported")
        .WithDetails(Field("attention_head_size"));
  }
  BT_ASSIGN_OR_RETURN(int64_t pooler_size, Int(json, "pooler_hidden_size", c->hidden_size));
  if (pooler_size != c->hidden_size) {
    return Status::Unsupported("config.json: DeBERTa pooler_hidden_size != hidden_size is not supported")
        .WithDetails(Field("pooler_hidden_size"));
  }
  r.pooler_hidden_size = static_cast<int32_t>(pooler_size);
  BT_ASSIGN_OR_RETURN(std::string pooler_act, String(json, "pooler_hidden_act", "gelu"));
  BT_ASSIGN_OR_RETURN(r.pooler_hidden_act,
                      AtField(ParseActivation(pooler_act, "config.json pooler_hidden_act"), "pooler_hidden_act"));
  return Status::Ok();
}

Status ReadBertLike(const Json& json, ModelConfig* c) {
  BT_RETURN_IF_ERROR(ReadPositive(json, "hidden_size", 768, &c->hidden_size));
  BT_RETURN_IF_ERROR(ReadPositive(json, "num_hidden_layers", 12, &c->num_hidden_layers));
  BT_RETURN_IF_ERROR(ReadPositive(json, "num_attention_heads", 12, &c->num_attention_heads));
  BT_RETURN_IF_ERROR(ReadPositive(json, "intermediate_size", 3072, &c->intermediate_size));
  if (c->model_type == ModelType::kMpnet) {
    c->type_vocab_size = 0;  // MPNet has no token types
  } else if (c->model_type == ModelType::kDebertaV2) {
    BT_ASSIGN_OR_RETURN(int64_t types, Int(json, "type_vocab_size", 0));
    if (types < 0 || types > (1 << 16)) {
      return Status::BadCheckpoint("config.json: field 'type_vocab_size' out of range").WithDetails(Field("type_vocab_size"));
    }
    c->type_vocab_size = static_cast<int32_t>(types);
  } else {
    BT_RETURN_IF_ERROR(ReadPositive(json, "type_vocab_size", 2, &c->type_vocab_size));
  }
  BT_ASSIGN_OR_RETURN(c->hidden_act_name, String(json, "hidden_act", "gelu"));
  BT_ASSIGN_OR_RETURN(double eps, Number(json, "layer_norm_eps", c->model_type == ModelType::kDebertaV2 ? 1e-7 : 1e-12));
  if (!(eps > 0 && eps < 1)) {
    return Status::BadCheckpoint("config.json: field 'layer_norm_eps' must be in (0, 1)").WithDetails(Field("layer_norm_eps"));
  }
  c->layer_norm_eps = static_cast<float>(eps);
  BT_ASSIGN_OR_RETURN(c->position_embedding_type,
                      String(json, "position_embedding_type", "absolute"));
  // relative_key / relative_key_query: BERT's self-attention and its copies (RoBERTa, XLM-R, CamemBERT,
  // ERNIE, ELECTRA); not ALBERT (shared layers) nor DistilBERT.
  const bool relative_types = c->model_type == ModelType::kBert || c->model_type == ModelType::kRoberta ||
                              c->model_type == ModelType::kErnie || c->model_type == ModelType::kElectra;
  const std::string& position_type = c->position_embedding_type;
  if (position_type != "absolute" &&
      !(relative_types && (position_type == "relative_key" || position_type == "relative_key_query"))) {
    return Status::Unsupported("config.json: position_embedding_type '" + position_type + "' is not supported (supported: " +
                               (relative_types ? SupportedPositionEmbeddingTypes() : "absolute") + ")")
        .WithDetails(Field("position_embedding_type"));
  }
  if (c->model_type == ModelType::kErnie) {
    // ERNIE 3.0: task type embeddings (use_task_id), added after the positions.
    BT_ASSIGN_OR_RETURN(bool use_task_id, Bool(json, "use_task_id", false));
    if (use_task_id) BT_RETURN_IF_ERROR(ReadPositive(json, "task_type_vocab_size", 3, &c->task_type_vocab_size));
  }
  if (c->model_type == ModelType::kElectra) {
    // ELECTRA: embeddings of embedding_size projected to hidden_size when they differ.
    BT_RETURN_IF_ERROR(ReadPositive(json, "embedding_size", 128, &c->embedding_size));  // ElectraConfig default
  }
  if (c->model_type == ModelType::kMpnet) {
    BT_RETURN_IF_ERROR(ReadPositive(json, "relative_attention_num_buckets", 32, &c->relative.relative_attention_num_buckets));
  }
  if (c->model_type == ModelType::kDebertaV2) BT_RETURN_IF_ERROR(ReadDebertaV2(json, c));
  if (c->model_type == ModelType::kAlbert) {
    BT_RETURN_IF_ERROR(ReadPositive(json, "embedding_size", 128, &c->embedding_size));
    BT_RETURN_IF_ERROR(ReadPositive(json, "num_hidden_groups", 1, &c->num_hidden_groups));
    BT_RETURN_IF_ERROR(ReadPositive(json, "inner_group_num", 1, &c->inner_group_num));
    if (c->num_hidden_layers % c->num_hidden_groups != 0) {
      return Status::BadCheckpoint("config.json: num_hidden_layers must be a multiple of num_hidden_groups")
          .WithDetails(Field("num_hidden_groups"));
    }
  }
  return Status::Ok();
}

// quantization_config: absent, or the marker of a checkpoint converted by `bertology convert
// --dtype q8`. Other quantisation methods (GPTQ, bitsandbytes, ...) store tensors the engine cannot read.
Status ReadQuantization(const Json& json, ModelConfig* c) {
  auto it = json.find("quantization_config");
  if (it == json.end() || it->is_null()) return Status::Ok();
  const std::string where = "config.json: quantization_config";
  if (!it->is_object()) return Status::BadCheckpoint(where + " must be an object").WithDetails(Field("quantization_config"));
  BT_ASSIGN_OR_RETURN(std::string method,
                      AtField(JsonString(*it, "quant_method", "", where), "quantization_config.quant_method"));
  if (method != kBertologyQuantMethod) {
    return Status::Unsupported(where + ": quant_method '" + method +
                         "' is not supported (only checkpoints written by `bertology convert --dtype q8`, "
                         "quant_method 'bertology')")
        .WithDetails(Field("quantization_config.quant_method"));
  }
  BT_ASSIGN_OR_RETURN(std::string format, AtField(JsonString(*it, "format", "", where), "quantization_config.format"));
  BT_ASSIGN_OR_RETURN(int64_t version,
                      AtField(JsonInt(*it, "format_version", 0, where), "quantization_config.format_version"));
  if (format != "q8") {
    return Status::Unsupported(where + ": format '" + format + "' is not supported (q8)")
        .WithDetails(Field("quantization_config.format"));
  }
  if (version != kBertologyQ8FormatVersion && version != kBertologyQ8FormatVersion8BitLinears) {
    return Status::Unsupported(where + ": format_version " + std::to_string(version) + " is not supported (this engine reads " +
                         std::to_string(kBertologyQ8FormatVersion8BitLinears) + " and " +
                         std::to_string(kBertologyQ8FormatVersion) + "; a newer bertology wrote the file?)")
        .WithDetails(Field("quantization_config.format_version"));
  }
  c->stored_dtype = "q8";
  c->stored_q8_format = static_cast<int>(version);
  return Status::Ok();
}

// ModernBERT: no token types, no biases by default, rotary positions (no table: max_position_embeddings
// only bounds the sequence), GeGLU feed-forward (intermediate_size is the gated width).
Status ReadModernBert(const Json& json, ModelConfig* c) {
  BT_RETURN_IF_ERROR(ReadPositive(json, "hidden_size", 768, &c->hidden_size));
  BT_RETURN_IF_ERROR(ReadPositive(json, "num_hidden_layers", 22, &c->num_hidden_layers));
  BT_RETURN_IF_ERROR(ReadPositive(json, "num_attention_heads", 12, &c->num_attention_heads));
  BT_RETURN_IF_ERROR(ReadPositive(json, "intermediate_size", 1152, &c->intermediate_size));
  c->type_vocab_size = 0;
  BT_ASSIGN_OR_RETURN(c->hidden_act_name, String(json, "hidden_activation", "gelu"));
  BT_ASSIGN_OR_RETURN(double eps, Number(json, "norm_eps", 1e-5));
  if (!(eps > 0 && eps < 1)) {
    return Status::BadCheckpoint("config.json: field 'norm_eps' must be in (0, 1)").WithDetails(Field("norm_eps"));
  }
  c->layer_norm_eps = static_cast<float>(eps);
  BT_ASSIGN_OR_RETURN(c->norm_bias, Bool(json, "norm_bias", false));
  BT_ASSIGN_OR_RETURN(c->attention_bias, Bool(json, "attention_bias", false));
  BT_ASSIGN_OR_RETURN(c->mlp_bias, Bool(json, "mlp_bias", false));
  BT_ASSIGN_OR_RETURN(c->classifier_bias, Bool(json, "classifier_bias", false));
  BT_ASSIGN_OR_RETURN(c->decoder_bias, Bool(json, "decoder_bias", true));
  BT_ASSIGN_OR_RETURN(c->classifier_pooling, String(json, "classifier_pooling", "cls"));
  if (c->classifier_pooling != "cls" && c->classifier_pooling != "mean") {
    return Status::Unsupported("config.json: classifier_pooling '" + c->classifier_pooling +
                               "' is not supported (cls, mean)")
        .WithDetails(Field("classifier_pooling"));
  }
  BT_ASSIGN_OR_RETURN(std::string classifier_act, String(json, "classifier_activation", "gelu"));
  BT_ASSIGN_OR_RETURN(c->classifier_activation,
                      AtField(ParseActivation(classifier_act, "config.json: classifier_activation"), "classifier_activation"));
  BT_RETURN_IF_ERROR(ReadPositive(json, "local_attention", 128, &c->local_attention));
  // Rotary bases: rope_parameters (transformers v5) first, else global_/local_rope_theta.
  BT_ASSIGN_OR_RETURN(c->rope_theta_global, Number(json, "global_rope_theta", 160000.0));
  BT_ASSIGN_OR_RETURN(c->rope_theta_local, Number(json, "local_rope_theta", 10000.0));
  // The field each base was read from (for the error below).
  std::string theta_field[2] = {"global_rope_theta", "local_rope_theta"};
  auto rope = json.find("rope_parameters");
  if (rope != json.end() && rope->is_object()) {
    int i = 0;
    for (auto [key, theta] : {std::pair{"full_attention", &c->rope_theta_global},
                              std::pair{"sliding_attention", &c->rope_theta_local}}) {
      const std::string path = "rope_parameters." + std::string(key);
      auto entry = rope->find(key);
      if (entry == rope->end() || !entry->is_object()) {
        ++i;
        continue;
      }
      BT_ASSIGN_OR_RETURN(std::string type,
                          AtField(JsonString(*entry, "rope_type", "default", "config.json: rope_parameters"), path + ".rope_type"));
      if (type != "default") {
        return Status::Unsupported("config.json: " + path + ".rope_type '" + type + "' is not supported (default)")
            .WithDetails(Field(path + ".rope_type"));
      }
      BT_ASSIGN_OR_RETURN(*theta, AtField(JsonNumber(*entry, "rope_theta", *theta, "config.json: rope_parameters"),
                                          path + ".rope_theta"));
      if (entry->contains("rope_theta")) theta_field[i] = path + ".rope_theta";
      ++i;
    }
  }
  if (!(c->rope_theta_global > 1) || !(c->rope_theta_local > 1)) {
    return Status::BadCheckpoint("config.json: rope theta must be greater than 1")
        .WithDetails(Field(theta_field[c->rope_theta_global > 1 ? 1 : 0]));
  }
  // Which layers are global: layer_types when written, else every global_attn_every_n_layers-th.
  int32_t every = 3;
  BT_RETURN_IF_ERROR(ReadPositive(json, "global_attn_every_n_layers", 3, &every));
  auto types = json.find("layer_types");
  if (types != json.end() && types->is_array()) {
    if (static_cast<int64_t>(types->size()) != c->num_hidden_layers) {
      return Status::BadCheckpoint("config.json: layer_types must have num_hidden_layers entries").WithDetails(Field("layer_types"));
    }
    for (const Json& t : *types) {
      const std::string type = t.is_string() ? t.get<std::string>() : "";
      if (type != "full_attention" && type != "sliding_attention") {
        return Status::Unsupported("config.json: layer_types entry '" + type +
                                   "' is not supported (full_attention, sliding_attention)")
            .WithDetails(Field("layer_types"));
      }
      c->layer_is_global.push_back(type == "full_attention");
    }
  } else {
    for (int32_t i = 0; i < c->num_hidden_layers; ++i) c->layer_is_global.push_back(i % every == 0);
  }
  return Status::Ok();
}

// XLNet: bidirectional relative attention (attn_type "bi"), no absolute positions, no embedding norm.
Status ReadXlnet(const Json& json, ModelConfig* c) {
  BT_RETURN_IF_ERROR(ReadPositive(json, "d_model", 1024, &c->hidden_size));
  BT_RETURN_IF_ERROR(ReadPositive(json, "n_layer", 24, &c->num_hidden_layers));
  BT_RETURN_IF_ERROR(ReadPositive(json, "n_head", 16, &c->num_attention_heads));
  BT_RETURN_IF_ERROR(ReadPositive(json, "d_inner", 4096, &c->intermediate_size));
  BT_ASSIGN_OR_RETURN(c->hidden_act_name, String(json, "ff_activation", "gelu"));
  BT_ASSIGN_OR_RETURN(double eps, Number(json, "layer_norm_eps", 1e-12));
  if (!(eps > 0 && eps < 1)) {
    return Status::BadCheckpoint("config.json: field 'layer_norm_eps' must be in (0, 1)").WithDetails(Field("layer_norm_eps"));
  }
  c->layer_norm_eps = static_cast<float>(eps);
  // Segments are compared, not embedded: token types are any small ids (the tokenizer pads with 3).
  c->type_vocab_size = 0;
  int32_t d_head = 0;
  BT_RETURN_IF_ERROR(ReadPositive(json, "d_head", c->hidden_size / c->num_attention_heads, &d_head));
  if (static_cast<int64_t>(d_head) * c->num_attention_heads != c->hidden_size) {
    return Status::Unsupported("config.json: XLNet d_head * n_head must equal d_model").WithDetails(Field("d_head"));
  }
  BT_ASSIGN_OR_RETURN(std::string attn_type, String(json, "attn_type", "bi"));
  if (attn_type != "bi") {
    return Status::Unsupported("config.json: XLNet attn_type '" + attn_type + "' is not supported (bi)")
        .WithDetails(Field("attn_type"));
  }
  BT_ASSIGN_OR_RETURN(bool bi_data, Bool(json, "bi_data", false));
  BT_ASSIGN_OR_RETURN(bool same_length, Bool(json, "same_length", false));
  if (bi_data || same_length) {
    return Status::Unsupported("config.json: XLNet bi_data / same_length are pretraining options, not supported")
        .WithDetails(Field(bi_data ? "bi_data" : "same_length"));
  }
  BT_ASSIGN_OR_RETURN(int64_t clamp, Int(json, "clamp_len", -1));
  c->clamp_len = clamp > 0 ? static_cast<int32_t>(std::min<int64_t>(clamp, 1 << 24)) : -1;
  BT_ASSIGN_OR_RETURN(c->summary_type, String(json, "summary_type", "last"));
  if (c->summary_type != "last" && c->summary_type != "first" && c->summary_type != "mean") {
    return Status::Unsupported("config.json: summary_type '" + c->summary_type +
                               "' is not supported (last, first, mean)")
        .WithDetails(Field("summary_type"));
  }
  BT_ASSIGN_OR_RETURN(c->summary_use_proj, Bool(json, "summary_use_proj", true));
  BT_ASSIGN_OR_RETURN(std::string summary_act, String(json, "summary_activation", ""));
  if (summary_act.empty() || summary_act == "linear") {
    c->summary_activation = Activation::kNone;
  } else {
    BT_ASSIGN_OR_RETURN(c->summary_activation,
                        AtField(ParseActivation(summary_act, "config.json: summary_activation"), "summary_activation"));
  }
  return Status::Ok();
}

}  // namespace

const char* SupportedActivations() { return "gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh"; }
const char* SupportedPositionEmbeddingTypes() { return "absolute, relative_key, relative_key_query"; }
const char* SupportedModelTypeList() {
  return "bert, distilbert, roberta, xlm-roberta, camembert, albert, ernie, electra, mpnet, deberta-v2, modernbert, xlnet";
}

Result<Activation> ParseActivation(const std::string& name, const std::string& where) {
  if (name == "gelu") return Activation::kGeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "tanh") return Activation::kTanh;
  return Status::Unsupported(where + ": activation '" + name + "' is not supported (supported: " +
                             SupportedActivations() + ")");
}

Result<ModelConfig> ParseModelConfig(std::string_view config_json) {
  Result<Json> parsed = ParseJson(config_json, kWhere);
  if (!parsed.ok()) return parsed.status().WithDetails(Field(""));
  const Json& json = parsed.value();
  if (!json.is_object()) return Status::BadCheckpoint("config.json: must be a JSON object").WithDetails(Field(""));
  ModelConfig c;
  BT_ASSIGN_OR_RETURN(c.model_type_name, String(json, "model_type", ""));
  if (c.model_type_name == "bert") {
    c.model_type = ModelType::kBert;
  } else if (c.model_type_name == "distilbert") {
    c.model_type = ModelType::kDistilBert;
  } else if (c.model_type_name == "roberta" || c.model_type_name == "xlm-roberta" ||
             c.model_type_name == "camembert") {
    c.model_type = ModelType::kRoberta;
  } else if (c.model_type_name == "albert") {
    c.model_type = ModelType::kAlbert;
  } else if (c.model_type_name == "ernie") {
    c.model_type = ModelType::kErnie;
  } else if (c.model_type_name == "electra") {
    c.model_type = ModelType::kElectra;
  } else if (c.model_type_name == "mpnet") {
    c.model_type = ModelType::kMpnet;
  } else if (c.model_type_name == "deberta-v2") {
    c.model_type = ModelType::kDebertaV2;
  } else if (c.model_type_name == "modernbert") {
    c.model_type = ModelType::kModernBert;
  } else if (c.model_type_name == "xlnet") {
    c.model_type = ModelType::kXlnet;
  } else {
    return Status::Unsupported("config.json: unknown model_type '" + c.model_type_name + "' (supported: " +
                               SupportedModelTypeList() + ")")
        .WithDetails(Field("model_type"));
  }
  auto arch = json.find("architectures");
  if (arch != json.end() && arch->is_array()) {
    for (const Json& a : *arch) {
      if (a.is_string()) c.architectures.push_back(a.get<std::string>());
    }
  }
  BT_RETURN_IF_ERROR(ReadPositive(json, "vocab_size", 30522, &c.vocab_size));
  // XLNet has no position table: 512 (its pretraining length) bounds a sequence unless the config says otherwise.
  BT_RETURN_IF_ERROR(ReadPositive(json, "max_position_embeddings", c.model_type == ModelType::kModernBert ? 8192 : 512,
                                  &c.max_position_embeddings));
  BT_ASSIGN_OR_RETURN(int64_t pad, Int(json, "pad_token_id", 0));
  if (pad < 0 || pad >= c.vocab_size) {
    return Status::BadCheckpoint("config.json: pad_token_id out of range").WithDetails(Field("pad_token_id"));
  }
  c.pad_token_id = static_cast<int32_t>(pad);
  if (c.model_type == ModelType::kDistilBert) {
    BT_RETURN_IF_ERROR(ReadDistilBert(json, &c));
  } else if (c.model_type == ModelType::kModernBert) {
    BT_RETURN_IF_ERROR(ReadModernBert(json, &c));
  } else if (c.model_type == ModelType::kXlnet) {
    BT_RETURN_IF_ERROR(ReadXlnet(json, &c));
  } else {
    BT_RETURN_IF_ERROR(ReadBertLike(json, &c));
  }
  if (c.embedding_size == 0) c.embedding_size = c.hidden_size;
  if (c.hidden_size % c.num_attention_heads != 0) {
    return Status::BadCheckpoint("config.json: hidden size " + std::to_string(c.hidden_size) +
                         " is not a multiple of the number of attention heads")
        .WithDetails(Field(c.model_type == ModelType::kDistilBert ? "n_heads"
                           : c.model_type == ModelType::kXlnet    ? "n_head"
                                                                  : "num_attention_heads"));
  }
  // The activation's field by the family's name for it.
  const char* act_field = c.model_type == ModelType::kDistilBert   ? "activation"
                          : c.model_type == ModelType::kModernBert ? "hidden_activation"
                          : c.model_type == ModelType::kXlnet      ? "ff_activation"
                                                                   : "hidden_act";
  BT_ASSIGN_OR_RETURN(c.hidden_act,
                      AtField(ParseActivation(c.hidden_act_name, "config.json: field '" + std::string(act_field) + "'"), act_field));
  BT_RETURN_IF_ERROR(ReadLabels(json, &c));
  BT_ASSIGN_OR_RETURN(c.problem_type, String(json, "problem_type", ""));
  BT_RETURN_IF_ERROR(ReadQuantization(json, &c));
  return c;
}

}  // namespace bt
