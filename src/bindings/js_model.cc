#include "js_model.h"

#include <cmath>

#include "contract.h"
#include "io/json_util.h"
#include "options.h"

namespace bt {
namespace {

Result<EncodeOptions> ReadEncodeOptions(const std::string& json_text) {
  EncodeOptions options;
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(json_text, "tokenize options"));
  BT_ASSIGN_OR_RETURN(options.add_special_tokens, JsonBool(json, "add_special_tokens", true, "tokenize options"));
  BT_ASSIGN_OR_RETURN(options.truncation, JsonBool(json, "truncation", false, "tokenize options"));
  BT_ASSIGN_OR_RETURN(int64_t max_length, JsonInt(json, "max_length", 0, "tokenize options"));
  if (max_length < 0 || max_length > (1 << 24)) return Status::InvalidArgument("tokenize options: max_length out of range");
  options.max_length = static_cast<int32_t>(max_length);
  return options;
}

// The caller's options: every failure to read them is an invalid argument.
Result<EncodeOptions> ParseEncodeOptions(const std::string& json_text) {
  if (json_text.empty()) return EncodeOptions{};
  BT_RETURN_IF_ERROR(CheckOptionNames(json_text, contract::kTokenizeOptions, "tokenize options"));
  Result<EncodeOptions> options = ReadEncodeOptions(json_text);
  if (!options.ok()) return options.status().WithCode(StatusCode::kInvalidArgument);
  return options;
}

}  // namespace

val EncodingToJs(const Encoding& e) {
  val out = val::object();
  out.set("ids", CopyToJs(e.ids));
  out.set("type_ids", CopyToJs(e.type_ids));
  out.set("attention_mask", CopyToJs(e.attention_mask));
  std::vector<int32_t> offsets;
  offsets.reserve(e.offsets.size() * 2);
  for (const auto& [start, end] : e.offsets) {
    offsets.push_back(start);
    offsets.push_back(end);
  }
  out.set("offsets", CopyToJs(offsets));
  val tokens = val::array();
  for (const std::string& token : e.tokens) tokens.call<void>("push", token);
  out.set("tokens", tokens);
  out.set("sequence_ids", CopyToJs(e.sequence_ids));
  out.set("word_ids", CopyToJs(e.word_ids));
  out.set("truncated", e.truncated);
  return out;
}

JsModel::JsModel(JsFileStore& files, const std::string& options_json) {
  error_ = CheckOptionNames(options_json, contract::kLoadOptions, "load options");
  if (!error_.ok()) return;
  Result<LoadOptions> options = ParseLoadOptions(options_json);
  if (!options.ok()) {
    error_ = options.status();
    return;
  }
  Result<std::unique_ptr<Model>> model = Model::Load(files.store(), options.value(), files.prepared_tokenizer());
  if (model.ok()) {
    model_ = std::move(model).value();
  } else {
    error_ = model.status();
  }
}

std::string JsModel::info() const {
  const ModelConfig& c = model_->config();
  Json info = {
      {"model_type", c.model_type_name},
      {"head", HeadKindName(model_->head())},
      {"num_labels", model_->num_labels()},
      {"problem_type", c.problem_type},
      {"hidden_size", c.hidden_size},
      {"num_layers", model_->num_layers()},
      {"num_heads", c.num_attention_heads},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.max_position_embeddings},
      {"max_sequence_length", model_->max_sequence()},
      {"type_vocab_size", c.type_vocab_size},
      {"task_type_vocab_size", c.task_type_vocab_size},
      {"embedding_size", c.embedding_size},
      // XLNet compares token types (segments) instead of embedding them: it reads them too.
      {"uses_token_type_ids", c.type_vocab_size > 0 || c.model_type == ModelType::kXlnet},
      {"pad_token_id", c.pad_token_id},
      {"hidden_act", c.hidden_act_name},
      {"has_tokenizer", model_->tokenizer() != nullptr},
      {"weight_bytes", model_->weight_bytes()},
      // q8 when loaded with dtype q8 or from a folder converted to int8 (config.json quantization_config).
      {"dtype", model_->parts().encoder.embeddings.word.quantized() ? "q8" : "fp32"},
  };
  Json labels = Json::object();
  for (const auto& [id, label] : c.id2label) labels[std::to_string(id)] = label;
  info["id2label"] = labels;
  if (const Tokenizer* t = model_->tokenizer()) {
    info["model_max_length"] = t->model_max_length();
    info["mask_token"] = t->mask_token();
    info["mask_token_id"] = t->mask_id();
    info["padding_side"] = t->padding_side() == PaddingSide::kLeft ? "left" : "right";
    info["pad_token_type_id"] = t->pad_type_id();
  }
  return info.dump();
}

val JsModel::tokenize(val text, val pair, const std::string& options_json) const {
  const Tokenizer* tokenizer = model_->tokenizer();
  if (tokenizer == nullptr) return ErrorObject(Status::Unsupported("tokenize: this model was loaded without a tokenizer.json"));
  Result<EncodeOptions> options = ParseEncodeOptions(options_json);
  if (!options.ok()) return ErrorObject(options.status());
  if (!IsText(text) || !(pair.isNull() || pair.isUndefined() || IsText(pair))) {
    return ErrorObject(Status::InvalidArgument("tokenize: text must be a string or a Uint8Array of UTF-8 bytes"));
  }
  const std::string first = text.as<std::string>();
  Result<Encoding> encoding = pair.isNull() || pair.isUndefined()
                                  ? tokenizer->Encode(first, options.value())
                                  : tokenizer->EncodePair(first, pair.as<std::string>(), options.value());
  if (!encoding.ok()) return ErrorObject(encoding.status().WithContext("tokenize"));
  return EncodingToJs(encoding.value());
}

val JsModel::tokenizeWindows(val question, val context, int max_length, int stride) const {
  const Tokenizer* tokenizer = model_->tokenizer();
  if (tokenizer == nullptr) return ErrorObject(Status::Unsupported("tokenizeWindows: this model was loaded without a tokenizer.json"));
  if (!IsText(question) || !IsText(context)) return ErrorObject(Status::InvalidArgument("tokenizeWindows: question and context must be text"));
  WindowOptions options;
  options.max_length = max_length;
  options.stride = stride;
  Result<std::vector<Encoding>> windows =
      tokenizer->EncodeWindows(question.as<std::string>(), context.as<std::string>(), options);
  if (!windows.ok()) return ErrorObject(windows.status().WithContext("tokenizeWindows"));
  val list = val::array();
  for (const Encoding& e : windows.value()) list.call<void>("push", EncodingToJs(e));
  val out = val::object();
  out.set("windows", list);
  return out;
}

val JsModel::forward(val ids, val type_ids, val mask, int batch, int seq, int flags, val head_rows,
                     val task_type_ids) {
  ForwardRequest request;
  request.batch = batch;
  request.seq = seq;
  request.ids = emscripten::convertJSArrayToNumberVector<int32_t>(ids);
  if (!type_ids.isNull() && !type_ids.isUndefined()) {
    request.type_ids = emscripten::convertJSArrayToNumberVector<int32_t>(type_ids);
  }
  if (!mask.isNull() && !mask.isUndefined()) request.mask = emscripten::convertJSArrayToNumberVector<int32_t>(mask);
  if (!task_type_ids.isNull() && !task_type_ids.isUndefined()) {
    request.task_type_ids = emscripten::convertJSArrayToNumberVector<int32_t>(task_type_ids);
  }
  request.output_hidden_states = (flags & contract::kForwardOutputHiddenStates) != 0;
  request.output_attentions = (flags & contract::kForwardOutputAttentions) != 0;
  request.output_last_hidden_state = (flags & contract::kForwardHeadOnly) == 0;
  if (!head_rows.isNull() && !head_rows.isUndefined()) {
    request.head_rows_set = true;
    request.head_rows = emscripten::convertJSArrayToNumberVector<int32_t>(head_rows);
  }
  Result<ForwardResult> result = model_->Forward(request);
  if (!result.ok()) return ErrorObject(result.status());
  const ForwardResult& r = result.value();
  const int64_t b = batch, s = seq, h = model_->config().hidden_size;
  val out = val::object();
  if (!r.logits.empty() || !r.logits_shape.empty()) {
    out.set("logits", CopyToJs(r.logits));
    out.set("logits_shape", ShapeToJs(r.logits_shape));
  }
  if (!r.start_logits.empty()) {
    out.set("start_logits", CopyToJs(r.start_logits));
    out.set("end_logits", CopyToJs(r.end_logits));
  }
  if (request.output_last_hidden_state) {
    out.set("last_hidden_state", CopyToJs(r.last_hidden_state));
    out.set("last_hidden_state_shape", ShapeToJs({b, s, h}));
  }
  if (!r.pooled.empty()) out.set("pooled", CopyToJs(r.pooled));
  if (!r.hidden_states.empty()) {
    out.set("hidden_states", CopyToJs(r.hidden_states));
    out.set("hidden_states_shape", ShapeToJs({model_->num_layers() + 1, b, s, h}));
  }
  if (!r.attentions.empty()) {
    out.set("attentions", CopyToJs(r.attentions));
    out.set("attentions_shape", ShapeToJs({model_->num_layers(), b, model_->config().num_attention_heads, s, s}));
  }
  return out;
}

std::string JsModel::memoryUsage() const {
  return Json{{"weights", model_->weight_bytes()}, {"workspace", model_->workspace_bytes()}}.dump();
}

val JsModel::fillWordEmbeddings(double first, double count) {
  if (!(first >= 0 && first <= 2147483647.0 && count >= 0 && count <= 2147483647.0) || first != std::floor(first) ||
      count != std::floor(count)) {
    return ErrorObject(Status::InvalidArgument("fillWordEmbeddings: first and count must be non-negative integers"));
  }
  const Status s = model_->FillWordEmbeddings(static_cast<int64_t>(first), static_cast<int64_t>(count));
  return s.ok() ? val::null() : ErrorObject(s);
}

std::string JsModel::decode(val ids, bool skip_special) const {
  if (model_->tokenizer() == nullptr) return "";
  return model_->tokenizer()->Decode(emscripten::convertJSArrayToNumberVector<int32_t>(ids), skip_special);
}
std::string JsModel::idToToken(int id) const { return model_->tokenizer() ? model_->tokenizer()->IdToToken(id) : ""; }
int JsModel::tokenToId(const std::string& token) const {
  return model_->tokenizer() ? model_->tokenizer()->TokenToId(token) : -1;
}


}  // namespace bt
