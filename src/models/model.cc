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
    bytes += linear(layer.attention.qkv) + linear(layer.attention.output) + linear(layer.ffn.in) + linear(layer.ffn.out);
  }
  for (const HeadProgram* head : {&parts.head_program, &parts.pooler}) {
    for (const HeadStep& step : head->steps) bytes += linear(step.linear);
  }
  return bytes;
}

// The rows of the encoder output the head and the pooler read, and whether the last layer computes
// only those (the caller wants nothing else): a classifier's first tokens, fill-mask's mask rows.
struct RowPlan {
  bool pruned = false;
  std::vector<int32_t> last_layer, head, pooler;  // flat token indices; empty + !set: all rows
  bool head_all = true, pooler_all = true;
};

RowPlan PlanRows(const ModelParts& parts, const ForwardRequest& r) {
  RowPlan plan;
  std::vector<int32_t> first;  // each sequence's row the head reads (a mean reads them all: not prunable)
  const SequenceRow which = parts.head_program.empty() ? SequenceRow::kFirst : parts.head_program.sequence_row;
  for (int32_t b = 0; b < r.batch; ++b) first.push_back(b * r.seq + (which == SequenceRow::kLast ? r.seq - 1 : 0));
  const bool first_tokens = parts.head_program.empty() ? !parts.pooler.empty()
                                                       : parts.head_program.first_token_only && which != SequenceRow::kMean;
  plan.pruned = !r.output_last_hidden_state && !r.output_hidden_states && !r.output_attentions &&
                (first_tokens || (r.head_rows_set && parts.pooler.empty()));
  if (plan.pruned) {  // the last layer writes just these rows, compactly: the heads read all of them
    plan.last_layer = first_tokens ? first : r.head_rows;
    return plan;
  }
  plan.pooler = first;
  plan.pooler_all = false;
  if (parts.head_program.first_token_only) {
    plan.head = first;
    plan.head_all = false;
  } else if (r.head_rows_set) {
    plan.head = r.head_rows;
    plan.head_all = false;
  }
  return plan;
}

// The forward spec of a planned request (outputs not placed yet). `rows` must outlive it.
ForwardSpec PlannedSpec(const ModelParts& parts, const RowPlan& rows, const EncoderInput& input) {
  const int32_t encoder_rows = rows.pruned ? static_cast<int32_t>(rows.last_layer.size()) : input.batch * input.seq;
  const auto select = [&](bool all, const std::vector<int32_t>& list) {
    return all ? RowSelection{nullptr, encoder_rows} : RowSelection{list.data(), static_cast<int32_t>(list.size())};
  };
  ForwardSpec spec;
  spec.input = input;
  if (rows.pruned) {
    spec.last_layer_rows = rows.last_layer.data();
    spec.last_layer_count = static_cast<int32_t>(rows.last_layer.size());
  }
  spec.run_head = !parts.head_program.empty();
  spec.head_rows = select(rows.head_all, rows.head);
  spec.run_pooler = !parts.pooler.empty();
  spec.pooler_rows = select(rows.pooler_all, rows.pooler);
  return spec;
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
  BT_ASSIGN_OR_RETURN(options.defer_word_embeddings, JsonBool(json, "defer_word_embeddings", false, "load options"));
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

Result<std::unique_ptr<Tokenizer>> Model::LoadTokenizer(const FileStore& files) {
  if (!files.Has("config.json")) return Status::FileNotFound("missing config.json");
  BT_ASSIGN_OR_RETURN(std::string config_json, files.ReadText("config.json"));
  BT_ASSIGN_OR_RETURN(ModelConfig config, ParseModelConfig(config_json));
  return bt::LoadTokenizer(files, config);
}

Result<std::unique_ptr<Model>> Model::Load(FileStore& files, const LoadOptions& options) {
  return Load(files, options, nullptr);
}

// `tokenizer`: LoadTokenizer's result for these files (taken), or null (built here).
Result<std::unique_ptr<Model>> Model::Load(FileStore& files, const LoadOptions& options,
                                           Result<std::unique_ptr<Tokenizer>>* tokenizer) {
  if (!files.Has("config.json")) return Status::FileNotFound("missing config.json");
  BT_ASSIGN_OR_RETURN(std::string config_json, files.ReadText("config.json"));
  auto model = std::make_unique<Model>();
  BT_ASSIGN_OR_RETURN(model->config_, ParseModelConfig(config_json));
  // Built beforehand from the same config.json: the config's own errors came first there too.
  if (tokenizer) {
    BT_ASSIGN_OR_RETURN(model->tokenizer_, std::move(*tokenizer));
  } else {
    BT_ASSIGN_OR_RETURN(model->tokenizer_, bt::LoadTokenizer(files, model->config_));
  }
  {
    BT_ASSIGN_OR_RETURN(WeightSource weights, WeightSource::Open(files, options.limits.safetensors));
    const bool stored_q8 = model->config_.stored_dtype == "q8";
    if (stored_q8 && options.dtype_given && !options.quantize_int8) {
      return Status::InvalidArgument("this checkpoint stores int8 weights (config.json quantization_config, written by "
                           "`bertology convert --dtype q8`): load it with dtype 'q8' (or without dtype), or convert "
                           "the original checkpoint with --dtype fp32 or fp16");
    }
    weights.set_quantized(options.quantize_int8 || stored_q8);
    weights.set_stored_q8_format(model->config_.stored_q8_format);
    weights.set_defer_embeddings(options.defer_word_embeddings);
    BT_ASSIGN_OR_RETURN(model->parts_, LoadModelParts(model->config_, weights));
    if (weights.deferred() && !model->parts_.encoder.embeddings.word.complete()) {
      // The table's file stays with the model (its views point into it) until every row is in.
      model->deferred_view_ = *weights.deferred();
      model->deferred_file_ = files.Take(model->deferred_view_->file);
      if (model->deferred_file_.get() != model->deferred_view_->source) {
        return Status::Internal("progressive loading: the word embeddings' file is not the one they were read from");
      }
    }
    for (const std::string& shard : weights.shard_names()) files.Erase(shard);
  }
  const int32_t labels = model->num_labels();
  if (labels > 0 && !model->config_.id2label.empty() && static_cast<int32_t>(model->config_.id2label.size()) != labels) {
    return Status::BadCheckpoint("config.json: id2label names " + std::to_string(model->config_.id2label.size()) +
                         " labels but the classifier has " + std::to_string(labels) + " outputs");
  }
  model->weight_bytes_ = WeightBytes(model->parts_);
  model->limits_ = options.limits;
  // The arena: sized now for one sequence of the maximum length as the pipelines ask for it (head
  // outputs only), so inference up to that size does not allocate.
  model->reserved_bytes_ = model->PipelineArenaBytes(model->parts_.encoder.max_sequence());
  if (!model->arena_.Reserve(model->reserved_bytes_)) {
    return Status::OutOfMemory("out of memory reserving the model's working memory (" +
                               std::to_string(model->reserved_bytes_) + " bytes)");
  }
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

uint64_t Model::PipelineArenaBytes(int32_t seq) const {
  // What Forward plans for one sequence without last_hidden_state: a classifier's (or pooler's) last
  // layer on the first token alone; a per-token head on every token (fill-mask asks for a few rows,
  // so the masked LM's head is planned on one).
  std::vector<int32_t> ids(static_cast<size_t>(seq), 0);
  ForwardRequest r;
  r.batch = 1;
  r.seq = seq;
  r.output_last_hidden_state = false;
  if (parts_.head == HeadKind::kMaskedLm) {
    r.head_rows_set = true;
    r.head_rows = {0};
  }
  const RowPlan rows = PlanRows(parts_, r);
  const ForwardSpec spec = PlannedSpec(parts_, rows, EncoderInput{1, seq, ids.data(), nullptr, ids.data()});
  return ForwardArenaBytes(parts_, spec, DefaultThreadPool());
}

void Model::TrimArena() {
  if (arena_.capacity() <= reserved_bytes_) return;
  arena_.Release();
  arena_.Reserve(reserved_bytes_);  // what load reserved fitted then; if it cannot now, the next call retries
}

Status Model::FillWordEmbeddings(int64_t first, int64_t count) {
  EmbeddingTable& table = parts_.encoder.embeddings.word;
  if (!deferred_view_) {
    if (first < 0 || count < 0 || first > table.rows() || count > table.rows() - first) {
      return Status::InvalidArgument("fillWordEmbeddings: rows [" + std::to_string(first) + ", " +
                                     std::to_string(first + count) + ") are outside the table's " +
                                     std::to_string(table.rows()));
    }
    return Status::Ok();  // every row is present
  }
  const Status filled = FillEmbeddingRows(*deferred_view_, first, count, &table);
  if (table.complete()) {
    deferred_view_.reset();
    deferred_file_.reset();
  }
  return filled;
}

Status Model::RequireCompleteWeights(const std::string& operation) const {
  const EmbeddingTable& word = parts_.encoder.embeddings.word;
  if (word.complete()) return Status::Ok();
  return Status::NotReady(operation + ": " + std::to_string(word.pending_rows()) + " of the " + std::to_string(word.rows()) +
                          " rows of the word embeddings have not been downloaded yet (progressive loading): this "
                          "call needs the whole table — await model.weightsComplete")
      .WithDetails(deferred_view_ ? StatusDetails::Tensor(deferred_view_->file, deferred_view_->name) : StatusDetails{});
}

Status Model::CheckRequest(const ForwardRequest& request) const {
  const std::string how = " (raise it with the load option limits.";
  if (request.batch <= 0 || request.seq <= 0) {
    return Status::InvalidArgument("forward: batch and sequence length must be positive");
  }
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
  // Fuzzing (tests/fuzz/FINDINGS.md F2): max_tokens can be raised through the load options; the
  // encoder counts tokens in int32, and the plan's sizes must stay far from int64's range.
  if (tokens > INT32_MAX) {
    return Status::Limit("forward: " + std::to_string(tokens) + " tokens exceed 2147483647, the most one call can hold");
  }
  if (request.seq > parts_.encoder.max_sequence()) {
    return Status::Limit("forward: sequence length " + std::to_string(request.seq) + " exceeds the model's maximum of " +
                         std::to_string(parts_.encoder.max_sequence()) + " positions");
  }
  if (static_cast<int64_t>(request.ids.size()) != tokens) {
    return Status::InvalidArgument("forward: expected " + std::to_string(tokens) + " ids for batch " +
                                   std::to_string(request.batch) + " x seq " + std::to_string(request.seq) + ", got " +
                                   std::to_string(request.ids.size()));
  }
  for (const auto* v : {&request.type_ids, &request.mask, &request.task_type_ids}) {
    if (!v->empty() && static_cast<int64_t>(v->size()) != tokens) {
      return Status::InvalidArgument("forward: token type ids, task type ids and attention mask must have one entry per id");
    }
  }
  if (request.head_rows_set) {
    if (!PerTokenHead(parts_.head)) {
      return Status::InvalidArgument(std::string("forward: head rows apply to per-token heads (masked LM, token "
                                                 "classification, replaced-token detection), not to this model's ") +
                                     HeadKindName(parts_.head) + " head");
    }
    int64_t previous = -1;
    for (int32_t row : request.head_rows) {
      if (row <= previous || row >= tokens) {
        return Status::InvalidArgument("forward: head rows must be increasing token indices in [0, " +
                                       std::to_string(tokens) + "), got " + std::to_string(row));
      }
      previous = row;
    }
  }
  return Status::Ok();
}

Result<ForwardResult> Model::Forward(const ForwardRequest& request) {
  // Validate.
  BT_RETURN_IF_ERROR(CheckRequest(request));
  const int64_t tokens = static_cast<int64_t>(request.batch) * request.seq;
  std::vector<int32_t> ones;
  if (request.mask.empty()) ones.assign(static_cast<size_t>(tokens), 1);
  const EncoderInput input{request.batch, request.seq, request.ids.data(),
                           request.type_ids.empty() ? nullptr : request.type_ids.data(),
                           request.mask.empty() ? ones.data() : request.mask.data(), nullptr,
                           request.task_type_ids.empty() ? nullptr : request.task_type_ids.data()};
  BT_RETURN_IF_ERROR(ValidateEncoderInput(parts_.encoder, input));
  // Progressive loading: every id's word-embedding row must be in (never a read of an unfilled row).
  const EmbeddingTable& word = parts_.encoder.embeddings.word;
  for (int64_t t = 0; !word.complete() && t < tokens; ++t) {
    const int32_t id = request.ids[static_cast<size_t>(t)];
    if (!word.present(id)) {
      return Status::NotReady("forward: row " + std::to_string(id) + " of the word embeddings ('" + deferred_view_->name +
                              "') has not been downloaded yet (progressive loading: fill it first, or await "
                              "model.weightsComplete)")
          .WithDetails(StatusDetails::Tensor(deferred_view_->file, deferred_view_->name));
    }
  }

  // Plan: which rows each part computes, and the arena's layout (whose size, with the outputs,
  // is what the limit max_forward_bytes bounds).
  const EncoderWeights& enc = parts_.encoder;
  const RowPlan rows = PlanRows(parts_, request);
  ForwardSpec spec = PlannedSpec(parts_, rows, input);
  const double layers = enc.num_layers(), t = static_cast<double>(tokens), h = enc.hidden_size;
  double output_floats = t * h * ((request.output_last_hidden_state ? 1 : 0) + (request.output_hidden_states ? layers + 1 : 0)) +
                         static_cast<double>(spec.head_rows.count) * parts_.head_program.output_size() +
                         (spec.run_pooler ? static_cast<double>(spec.pooler_rows.count) * h : 0.0);
  if (request.output_attentions) output_floats += layers * enc.num_heads * t * request.seq;
  // (Without last_hidden_state the encoder's rows live in the arena, and the plan counts them there.)
  const double bytes = static_cast<double>(ForwardArenaBytes(parts_, spec, DefaultThreadPool())) + output_floats * 4;
  if (bytes > static_cast<double>(limits_.max_forward_bytes)) {
    return Status::Limit("forward: needs " + std::to_string(static_cast<int64_t>(std::min(bytes, 9.0e18))) +
                         " bytes, over the limit max_forward_bytes=" + std::to_string(limits_.max_forward_bytes) +
                         " (raise it with the load option limits.max_forward_bytes)")
        .WithDetails(StatusDetails::Limit("max_forward_bytes"));
  }

  // Run.
  ForwardResult result;
  const int64_t mh = tokens * enc.hidden_size;
  if (request.output_last_hidden_state) {
    result.last_hidden_state.resize(static_cast<size_t>(mh));
    spec.hidden = result.last_hidden_state.data();
  }
  if (request.output_hidden_states) {
    result.hidden_states.resize(static_cast<size_t>(mh * (enc.num_layers() + 1)));
    spec.all_hidden = result.hidden_states.data();
  }
  if (request.output_attentions) {
    result.attentions.resize(static_cast<size_t>(enc.num_layers()) * request.batch * enc.num_heads * request.seq *
                             request.seq);
    spec.attentions = result.attentions.data();
  }
  BT_ASSIGN_OR_RETURN(ForwardPass pass, RunForward(parts_, spec, arena_, DefaultThreadPool()));

  // Pack the outputs.
  if (pass.pooled != nullptr) {
    result.pooled.assign(pass.pooled, pass.pooled + static_cast<size_t>(spec.pooler_rows.count) * enc.hidden_size);
  }
  if (parts_.head_program.empty()) return result;
  const int64_t n = parts_.head_program.output_size();
  const float* out = pass.head;
  if (parts_.head == HeadKind::kQuestionAnswering) {
    result.start_logits.resize(static_cast<size_t>(tokens));
    result.end_logits.resize(static_cast<size_t>(tokens));
    for (int64_t i = 0; i < tokens; ++i) {
      result.start_logits[i] = out[2 * i];
      result.end_logits[i] = out[2 * i + 1];
    }
  } else {
    result.logits.assign(out, out + static_cast<size_t>(spec.head_rows.count) * n);
    result.logits_shape = parts_.head_program.first_token_only ? std::vector<int64_t>{request.batch, n}
                          : request.head_rows_set ? std::vector<int64_t>{static_cast<int64_t>(request.head_rows.size()), n}
                                                  : std::vector<int64_t>{request.batch, request.seq, n};
    // ELECTRA's discriminator squeezes its one logit per token, as Hugging Face does: [batch, seq].
    if (parts_.head == HeadKind::kReplacedTokenDetection) result.logits_shape.pop_back();
  }
  return result;
}

}  // namespace bt
