#include "models/model.h"

#include <algorithm>

#include "io/json_util.h"

namespace bt {
namespace {

Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const FileStore& files, const ModelConfig& config) {
  // tokenizer.json first; else the slow-tokenizer files it was made from (SentencePiece, BPE).
  Result<std::unique_ptr<Tokenizer>> tokenizer = std::unique_ptr<Tokenizer>();
  if (files.Has("tokenizer.json")) {
    BT_ASSIGN_OR_RETURN(std::string json, files.ReadText("tokenizer.json"));
    tokenizer = Tokenizer::FromJson(json);  // its messages already name tokenizer.json
  } else if (files.Has("spiece.model")) {
    BT_ASSIGN_OR_RETURN(std::string model, files.ReadText("spiece.model"));
    tokenizer = Tokenizer::FromSentencePiece(model);
  } else if (files.Has("vocab.json") && files.Has("merges.txt")) {
    BT_ASSIGN_OR_RETURN(std::string vocab, files.ReadText("vocab.json"));
    BT_ASSIGN_OR_RETURN(std::string merges, files.ReadText("merges.txt"));
    tokenizer = Tokenizer::FromBpeFiles(vocab, merges);
  } else {
    return std::unique_ptr<Tokenizer>();
  }
  if (!tokenizer.ok()) return tokenizer.status();
  int64_t max_length = 0;
  std::string tokenizer_config;
  if (files.Has("tokenizer_config.json")) {
    BT_ASSIGN_OR_RETURN(std::string text, files.ReadText("tokenizer_config.json"));
    tokenizer_config = text;
    BT_ASSIGN_OR_RETURN(Json json_config, ParseJson(text, "tokenizer_config.json"));
    // Hugging Face writes a huge sentinel (1e30) when there is no limit: ignore it then.
    BT_ASSIGN_OR_RETURN(double value, JsonNumber(json_config, "model_max_length", 0, "tokenizer_config.json"));
    if (value > 0 && value < 1e7) max_length = static_cast<int64_t>(value);
  }
  if (max_length == 0 && tokenizer.value()->model_max_length() == 0) max_length = config.max_position_embeddings;
  if (max_length > 0) tokenizer.value()->set_model_max_length(static_cast<int32_t>(max_length));
  BT_RETURN_IF_ERROR(tokenizer.value()->ApplyTokenizerConfig(tokenizer_config, config.model_type_name));
  return std::move(tokenizer).value();
}

size_t WeightBytes(const ModelParts& parts) {
  const EmbeddingWeights& e = parts.encoder.embeddings;
  size_t bytes = e.word.bytes() + sizeof(float) * (e.position.size() + e.token_type.size());
  auto linear = [](const Linear& l) { return l ? l->bytes() : 0; };
  bytes += linear(e.projection);
  for (const EncoderLayerWeights& layer : parts.encoder.layers) {
    bytes += linear(layer.qkv) + linear(layer.attention_output) + linear(layer.ffn_in) + linear(layer.ffn_out);
  }
  for (const HeadProgram* head : {&parts.head_program, &parts.pooler}) {
    for (const HeadStep& step : head->steps) bytes += linear(step.linear);
  }
  return bytes;
}

Result<LoadOptions> ParseOptions(const std::string& json_text) {
  LoadOptions options;
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(json_text, "load options"));
  BT_ASSIGN_OR_RETURN(std::string dtype, JsonString(json, "dtype", "fp32", "load options"));
  options.dtype_given = json.is_object() && json.contains("dtype") && !json["dtype"].is_null();
  if (dtype == "q8" || dtype == "int8") {
    options.quantize_int8 = true;
  } else if (dtype != "fp32" && dtype != "float32") {
    return Status::InvalidArgument("load options: dtype '" + dtype + "' is not supported (fp32 or q8)");
  }
  BT_ASSIGN_OR_RETURN(options.limits.safetensors.validate_weights,
                      JsonBool(json, "validate_weights", true, "load options"));
  auto limits = json.find("limits");
  if (limits == json.end() || limits->is_null()) return options;
  Limits& l = options.limits;
  const std::string where = "load options.limits";
  auto positive = [&](const char* key, int64_t current, int64_t* out) -> Status {
    BT_ASSIGN_OR_RETURN(int64_t value, JsonInt(*limits, key, current, where));
    if (value <= 0) return Status::InvalidArgument(where + ": '" + key + "' must be positive");
    *out = value;
    return Status::Ok();
  };
  int64_t max_batch = l.max_batch, header = static_cast<int64_t>(l.safetensors.max_header_bytes);
  int64_t tensors = static_cast<int64_t>(l.safetensors.max_tensors);
  BT_RETURN_IF_ERROR(positive("max_batch", max_batch, &max_batch));
  BT_RETURN_IF_ERROR(positive("max_tokens", l.max_tokens, &l.max_tokens));
  BT_RETURN_IF_ERROR(positive("max_forward_bytes", l.max_forward_bytes, &l.max_forward_bytes));
  BT_RETURN_IF_ERROR(positive("max_header_bytes", header, &header));
  BT_RETURN_IF_ERROR(positive("max_tensors", tensors, &tensors));
  l.max_batch = static_cast<int32_t>(std::min<int64_t>(max_batch, 1 << 30));
  l.safetensors.max_header_bytes = static_cast<size_t>(header);
  l.safetensors.max_tensors = static_cast<size_t>(tensors);
  return options;
}

}  // namespace

Result<LoadOptions> ParseLoadOptions(const std::string& json_text) {
  if (json_text.empty()) return LoadOptions{};
  // The caller's options: every failure to read them is an invalid argument.
  Result<LoadOptions> options = ParseOptions(json_text);
  if (!options.ok()) return options.status().WithCode(StatusCode::kInvalidArgument);
  return options;
}

Model::~Model() { ReleaseLinearScratch(); }

Result<std::unique_ptr<Model>> Model::Load(FileStore& files, const LoadOptions& options) {
  if (!files.Has("config.json")) return Status::FileNotFound("missing config.json");
  BT_ASSIGN_OR_RETURN(std::string config_json, files.ReadText("config.json"));
  auto model = std::make_unique<Model>();
  BT_ASSIGN_OR_RETURN(model->config_, ParseModelConfig(config_json));
  BT_ASSIGN_OR_RETURN(model->tokenizer_, LoadTokenizer(files, model->config_));
  {
    BT_ASSIGN_OR_RETURN(WeightSource weights, WeightSource::Open(files, options.limits.safetensors));
    const bool stored_q8 = model->config_.stored_dtype == "q8";
    if (stored_q8 && options.dtype_given && !options.quantize_int8) {
      return Status::InvalidArgument("this checkpoint stores int8 weights (config.json quantization_config, written by "
                           "`bertology convert --dtype q8`): load it with dtype 'q8' (or without dtype), or convert "
                           "the original checkpoint with --dtype fp32 or fp16");
    }
    weights.set_quantized(options.quantize_int8 || stored_q8);
    BT_ASSIGN_OR_RETURN(model->parts_, LoadModelParts(model->config_, weights));
    for (const std::string& shard : weights.shard_names()) files.Erase(shard);
  }
  const int32_t labels = model->num_labels();
  if (labels > 0 && !model->config_.id2label.empty() && static_cast<int32_t>(model->config_.id2label.size()) != labels) {
    return Status::BadCheckpoint("config.json: id2label names " + std::to_string(model->config_.id2label.size()) +
                         " labels but the classifier has " + std::to_string(labels) + " outputs");
  }
  model->weight_bytes_ = WeightBytes(model->parts_);
  model->limits_ = options.limits;
  // The arena: sized now for one sequence of the maximum length, so inference does not allocate it.
  model->workspace_.Reserve(
      EncoderScratchFloats(model->parts_.encoder, 1, model->parts_.encoder.max_sequence(), DefaultThreadPool()));
  for (const char* name : {"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors.index.json",
                           "spiece.model", "vocab.json", "merges.txt"}) {
    files.Erase(name);
  }
  return model;
}

int32_t Model::num_labels() const {
  return parts_.head == HeadKind::kSequenceClassification || parts_.head == HeadKind::kTokenClassification
             ? parts_.head_program.output_size()
             : 0;
}

Status Model::CheckLimits(const ForwardRequest& request) const {
  const std::string how = " (raise it with the load option limits.";
  if (request.batch > limits_.max_batch) {
    return Status::Limit("forward: batch " + std::to_string(request.batch) + " exceeds the limit max_batch=" +
                         std::to_string(limits_.max_batch) + how + "max_batch)")
        .WithDetails(StatusDetails::Limit("max_batch"));
  }
  const int64_t tokens = static_cast<int64_t>(request.batch) * request.seq;
  if (tokens > limits_.max_tokens) {
    return Status::Limit("forward: " + std::to_string(tokens) + " tokens exceed the limit max_tokens=" +
                         std::to_string(limits_.max_tokens) + how + "max_tokens)")
        .WithDetails(StatusDetails::Limit("max_tokens"));
  }
  // Fuzzing (tests/fuzz/FINDINGS.md F2): max_tokens can be raised through the load options, and the
  // products below then overflowed int64. The encoder counts tokens in int32; the estimate is in double.
  if (tokens > INT32_MAX) {
    return Status::Limit("forward: " + std::to_string(tokens) + " tokens exceed 2147483647, the most one call can hold");
  }
  const EncoderWeights& enc = parts_.encoder;
  const double layers = enc.num_layers(), t = static_cast<double>(tokens);
  double floats = static_cast<double>(EncoderScratchFloats(enc, request.batch, request.seq, DefaultThreadPool())) +
                  t * enc.hidden_size * (request.output_hidden_states ? layers + 2 : 1) +
                  t * std::max<int64_t>(parts_.head_program.output_size(), 2);
  if (request.output_attentions) floats += layers * enc.num_heads * t * request.seq;
  if (floats * 4 > static_cast<double>(limits_.max_forward_bytes)) {
    const double bytes = std::min(floats * 4, 9.0e18);
    return Status::Limit("forward: needs " + std::to_string(static_cast<int64_t>(bytes)) +
                         " bytes, over the limit max_forward_bytes=" + std::to_string(limits_.max_forward_bytes) + how +
                         "max_forward_bytes)")
        .WithDetails(StatusDetails::Limit("max_forward_bytes"));
  }
  return Status::Ok();
}

Result<ForwardResult> Model::Forward(const ForwardRequest& request) {
  const int64_t tokens = static_cast<int64_t>(request.batch) * request.seq;
  if (request.batch <= 0 || request.seq <= 0) return Status::InvalidArgument("forward: batch and sequence length must be positive");
  BT_RETURN_IF_ERROR(CheckLimits(request));
  if (static_cast<int64_t>(request.ids.size()) != tokens) {
    return Status::InvalidArgument("forward: expected " + std::to_string(tokens) + " ids for batch " +
                         std::to_string(request.batch) + " x seq " + std::to_string(request.seq) + ", got " +
                         std::to_string(request.ids.size()));
  }
  for (const auto* v : {&request.type_ids, &request.mask}) {
    if (!v->empty() && static_cast<int64_t>(v->size()) != tokens) {
      return Status::InvalidArgument("forward: token type ids and attention mask must have one entry per id");
    }
  }
  if (request.head_rows_set) {
    if (parts_.head != HeadKind::kMaskedLm && parts_.head != HeadKind::kTokenClassification) {
      return Status::InvalidArgument(std::string("forward: head rows apply to per-token heads (masked LM, token classification), "
                                       "not to this model's ") + HeadKindName(parts_.head) + " head");
    }
    int64_t previous = -1;
    for (int32_t row : request.head_rows) {
      if (row <= previous || row >= tokens) {
        return Status::InvalidArgument("forward: head rows must be increasing token indices in [0, " + std::to_string(tokens) +
                             "), got " + std::to_string(row));
      }
      previous = row;
    }
  }
  std::vector<int32_t> ones;
  if (request.mask.empty()) ones.assign(static_cast<size_t>(tokens), 1);
  EncoderInput input;
  input.batch = request.batch;
  input.seq = request.seq;
  input.ids = request.ids.data();
  input.type_ids = request.type_ids.empty() ? nullptr : request.type_ids.data();
  input.mask = request.mask.empty() ? ones.data() : request.mask.data();
  BT_RETURN_IF_ERROR(ValidateEncoderInput(parts_.encoder, input));

  const EncoderWeights& enc = parts_.encoder;
  const int64_t mh = tokens * enc.hidden_size;
  ForwardResult result;
  // Rows the head and pooler read, when that is all the caller wants: the last layer computes only them.
  std::vector<int32_t> rows;
  const bool first_tokens = parts_.head_program.empty() ? !parts_.pooler.empty() : parts_.head_program.first_token_only;
  const bool pruned = !request.output_last_hidden_state && !request.output_hidden_states &&
                      !request.output_attentions && (first_tokens || (request.head_rows_set && parts_.pooler.empty()));
  if (pruned && first_tokens) {
    for (int32_t b = 0; b < request.batch; ++b) rows.push_back(b * request.seq);
  } else if (pruned) {
    rows = request.head_rows;
  }
  float* hidden_rows = nullptr;
  if (request.output_last_hidden_state) {
    result.last_hidden_state.resize(static_cast<size_t>(mh));
    hidden_rows = result.last_hidden_state.data();
  } else {
    if (hidden_scratch_.size() < static_cast<size_t>(mh)) hidden_scratch_.resize(static_cast<size_t>(mh));
    hidden_rows = hidden_scratch_.data();
  }
  if (request.output_hidden_states) result.hidden_states.resize(static_cast<size_t>(mh * (enc.num_layers() + 1)));
  if (request.output_attentions) {
    result.attentions.resize(static_cast<size_t>(enc.num_layers()) * request.batch * enc.num_heads * request.seq *
                             request.seq);
  }
  EncoderOutput output{hidden_rows,
                       request.output_hidden_states ? result.hidden_states.data() : nullptr,
                       request.output_attentions ? result.attentions.data() : nullptr, pruned ? &rows : nullptr};
  ThreadPool& pool = DefaultThreadPool();
  RunEncoder(enc, input, output, workspace_, pool);

  const float* hidden = hidden_rows;
  // Pruned: hidden holds the kept rows compactly — one per sequence ([batch, 1, H]) or head_rows ([1, rows, H]).
  const int32_t head_batch = !pruned ? request.batch : first_tokens ? request.batch : 1;
  const int32_t head_seq = !pruned ? request.seq : first_tokens ? 1 : static_cast<int32_t>(rows.size());
  const std::vector<int32_t>* head_rows = request.head_rows_set && !pruned ? &request.head_rows : nullptr;
  if (!parts_.pooler.empty()) {
    RunHead(parts_.pooler, hidden, head_batch, head_seq, enc.hidden_size, result.pooled, head_scratch_, pool);
  }
  std::vector<float> out;
  if (!parts_.head_program.empty()) {
    RunHead(parts_.head_program, hidden, head_batch, head_seq, enc.hidden_size, out, head_scratch_, pool, head_rows);
  }
  if (parts_.head_program.empty()) return result;
  const int64_t n = parts_.head_program.output_size();
  if (parts_.head == HeadKind::kQuestionAnswering) {
    result.start_logits.resize(static_cast<size_t>(tokens));
    result.end_logits.resize(static_cast<size_t>(tokens));
    for (int64_t t = 0; t < tokens; ++t) {
      result.start_logits[t] = out[2 * t];
      result.end_logits[t] = out[2 * t + 1];
    }
  } else {
    result.logits = std::move(out);
    result.logits_shape = parts_.head_program.first_token_only ? std::vector<int64_t>{request.batch, n}
                          : request.head_rows_set ? std::vector<int64_t>{static_cast<int64_t>(request.head_rows.size()), n}
                                                  : std::vector<int64_t>{request.batch, request.seq, n};
  }
  return result;
}

}  // namespace bt
