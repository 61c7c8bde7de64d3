// Embind surface of training (src/train): a Trainer object over a loaded Model (or none, for a linear
// head on features the caller computed). Failures come back as {error, code, details?} like every
// engine call; a failed call leaves the trainer, the model and other models as they were. The model
// must outlive its trainer (JS deletes the trainer first).
#include <emscripten/bind.h>

#include <memory>
#include <string>
#include <vector>

#include "js_model.h"
#include "js_values.h"
#include "options.h"
#include "train/trainer.h"

namespace bt {
namespace {

std::vector<int32_t> Ints(const val& v) {
  if (v.isNull() || v.isUndefined()) return {};
  return emscripten::convertJSArrayToNumberVector<int32_t>(v);
}

// The option names: the top level and the nested objects (engine_contract.json).
Status CheckTrainOptionNames(const std::string& json_text) {
  BT_RETURN_IF_ERROR(CheckOptionNames(json_text, contract::kTrainOptions, "trainer options"));
  Json json = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (const Json* o = OptionalField(json, "optimizer")) {
    BT_RETURN_IF_ERROR(OnlyKnownOptions(*o, contract::kOptimizerOptions, "trainer options.optimizer"));
  }
  if (const Json* o = OptionalField(json, "lora")) {
    BT_RETURN_IF_ERROR(OnlyKnownOptions(*o, contract::kLoraOptions, "trainer options.lora"));
  }
  if (const Json* o = OptionalField(json, "dropout")) {
    BT_RETURN_IF_ERROR(OnlyKnownOptions(*o, contract::kDropoutOptions, "trainer options.dropout"));
  }
  if (const Json* o = OptionalField(json, "from_features")) {
    BT_RETURN_IF_ERROR(OnlyKnownOptions(*o, contract::kFeaturesOptions, "trainer options.from_features"));
  }
  return Status::Ok();
}

val StepToJs(const StepResult& r) {
  val out = val::object();
  out.set("loss", r.loss);
  out.set("grad_norm", r.grad_norm);
  out.set("lr", r.lr);
  out.set("step", static_cast<double>(r.step));
  return out;
}

val RowsToJs(const char* key, const std::vector<float>& values, int64_t width) {
  val out = val::object();
  out.set(key, CopyToJs(values));
  out.set("shape", ShapeToJs({width > 0 ? static_cast<int64_t>(values.size()) / width : 0, width}));
  return out;
}

}  // namespace

class JsTrainer {
 public:
  JsTrainer(JsModel* model, const std::string& options_json) {
    Status names = CheckTrainOptionNames(options_json);
    if (!names.ok()) {
      error_ = names;
      return;
    }
    Result<TrainerOptions> options = ParseTrainerOptions(options_json);
    if (!options.ok()) {
      error_ = options.status();
      return;
    }
    if (model != nullptr && !model->error().isNull()) {
      error_ = Status::InvalidArgument("trainer: the model did not load");
      return;
    }
    if (model != nullptr) {  // training reads every row of the word embeddings (gradients, export)
      error_ = model->model().RequireCompleteWeights("trainer");
      if (!error_.ok()) return;
    }
    Result<std::unique_ptr<Trainer>> t = Trainer::Create(model != nullptr ? &model->model() : nullptr, options.value());
    if (!t.ok()) {
      error_ = t.status();
      return;
    }
    trainer_ = std::move(t.value());
  }

  val error() const { return error_.ok() ? val::null() : ErrorObject(error_); }

  val step(val ids, val type_ids, val mask, int batch, int seq, val labels) {
    return Run(ids, type_ids, mask, batch, seq, labels, true);
  }
  val lossAndGrads(val ids, val type_ids, val mask, int batch, int seq, val labels) {
    return Run(ids, type_ids, mask, batch, seq, labels, false);
  }

  val logits(val ids, val type_ids, val mask, int batch, int seq) {
    Inputs in;
    Status s = Read(ids, type_ids, mask, batch, seq, val::null(), in);
    if (!s.ok()) return ErrorObject(s);
    Result<std::vector<float>> r = trainer_->Logits(in.batch);
    if (!r.ok()) return ErrorObject(r.status());
    return RowsToJs("logits", r.value(), trainer_->options().num_labels);
  }

  val features(val ids, val type_ids, val mask, int batch, int seq) {
    Inputs in;
    Status s = Read(ids, type_ids, mask, batch, seq, val::null(), in);
    if (!s.ok()) return ErrorObject(s);
    Result<std::vector<float>> r = trainer_->Features(in.batch);
    if (!r.ok()) return ErrorObject(r.status());
    return RowsToJs("features", r.value(), trainer_->feature_size());
  }

  val stepFeatures(val features, int rows, val labels) { return RunFeatures(features, rows, labels, true); }
  val lossAndGradsFeatures(val features, int rows, val labels) { return RunFeatures(features, rows, labels, false); }

  val logitsFeatures(val features, int rows) {
    if (!Usable()) return ErrorObject(error_);
    std::vector<float> f;
    Status s = ReadFeatures(features, rows, f);
    if (!s.ok()) return ErrorObject(s);
    Result<std::vector<float>> r = trainer_->LogitsFeatures(f.data(), rows);
    if (!r.ok()) return ErrorObject(r.status());
    return RowsToJs("logits", r.value(), trainer_->options().num_labels);
  }

  val gradient(const std::string& name) {
    if (!Usable()) return ErrorObject(error_);
    Result<std::vector<float>> g = trainer_->Gradient(name);
    if (!g.ok()) return ErrorObject(g.status());
    return CopyToJs(g.value());
  }

  val parameters() {
    if (!Usable()) return ErrorObject(error_);
    val out = val::array();
    for (const ParameterInfo& p : trainer_->Parameters()) {
      val item = val::object();
      item.set("name", p.name);
      item.set("shape", ShapeToJs(p.shape));
      out.call<void>("push", item);
    }
    return out;
  }

  val tensors(const std::string& which) {
    if (!Usable()) return ErrorObject(error_);
    if (which != "trained" && which != "all") {
      return ErrorObject(Status::InvalidArgument("trainer.tensors: which must be 'trained' or 'all' (got '" + which + "')"));
    }
    Result<std::vector<NamedTensor>> r = trainer_->Tensors(which == "trained");
    if (!r.ok()) return ErrorObject(r.status());
    val out = val::array();
    for (const NamedTensor& t : r.value()) {
      val item = val::object();
      item.set("name", t.name);
      item.set("shape", ShapeToJs(t.shape));
      item.set("data", CopyToJs(t.data));
      out.call<void>("push", item);
    }
    return out;
  }

  val state() {
    if (!Usable()) return ErrorObject(error_);
    return CopyToJs(trainer_->State());
  }

  val loadState(val bytes) {
    if (!Usable()) return ErrorObject(error_);
    if (!bytes.instanceof(val::global("Uint8Array"))) {
      return ErrorObject(Status::InvalidArgument("trainer.loadState: expects a Uint8Array from state()"));
    }
    const std::vector<uint8_t> data = emscripten::convertJSArrayToNumberVector<uint8_t>(bytes);
    Status s = trainer_->LoadState(data.data(), data.size());
    return s.ok() ? val::null() : ErrorObject(s);
  }

  val info() {
    if (!Usable()) return ErrorObject(error_);
    val out = val::object();
    out.set("trainable_parameters", static_cast<double>(trainer_->trainable_parameters()));
    out.set("memory_bytes", static_cast<double>(trainer_->memory_bytes()));
    out.set("peak_arena_bytes", static_cast<double>(trainer_->peak_arena_bytes()));
    out.set("step", static_cast<double>(trainer_->step()));
    out.set("total_steps", static_cast<double>(trainer_->options().optimizer.total_steps));
    out.set("head_only", trainer_->head_only());
    out.set("feature_size", trainer_->feature_size());
    out.set("num_labels", trainer_->options().num_labels);
    return out;
  }

 private:
  struct Inputs {
    std::vector<int32_t> ids, type_ids, mask, labels;
    TrainBatch batch;
  };

  bool Usable() {
    if (trainer_ != nullptr) return true;
    if (error_.ok()) error_ = Status::Internal("trainer: not created");
    return false;
  }

  Status Read(const val& ids, const val& type_ids, const val& mask, int batch, int seq, const val& labels, Inputs& in) {
    if (!Usable()) return error_;
    if (batch < 1 || seq < 1) return Status::InvalidArgument("trainer: batch and seq must be >= 1");
    const int64_t m = static_cast<int64_t>(batch) * seq;
    in.ids = Ints(ids);
    in.type_ids = Ints(type_ids);
    in.mask = Ints(mask);
    if (static_cast<int64_t>(in.ids.size()) != m) {
      return Status::InvalidArgument("trainer: ids has " + std::to_string(in.ids.size()) + " values, batch*seq is " +
                                     std::to_string(m));
    }
    if (!in.type_ids.empty() && static_cast<int64_t>(in.type_ids.size()) != m) {
      return Status::InvalidArgument("trainer: type_ids must have batch*seq values");
    }
    if (!in.mask.empty() && static_cast<int64_t>(in.mask.size()) != m) {
      return Status::InvalidArgument("trainer: mask must have batch*seq values");
    }
    in.batch = TrainBatch{batch, seq, in.ids.data(), in.type_ids.empty() ? nullptr : in.type_ids.data(),
                          in.mask.empty() ? nullptr : in.mask.data(), nullptr};
    if (!labels.isNull()) {
      in.labels = Ints(labels);
      const int64_t want = trainer_->options().task == TrainTask::kSequence ? batch : m;
      if (static_cast<int64_t>(in.labels.size()) != want) {
        Status s = Status::InvalidArgument("trainer: labels has " + std::to_string(in.labels.size()) + " values, expected " +
                                           std::to_string(want) +
                                           (trainer_->options().task == TrainTask::kSequence ? " (one per sequence)" : " (batch*seq)"));
        StatusDetails d;
        d.field = "labels";
        return s.WithDetails(d);
      }
      in.batch.labels = in.labels.data();
    }
    return Status::Ok();
  }

  Status ReadFeatures(const val& features, int rows, std::vector<float>& f) {
    if (rows < 1) return Status::InvalidArgument("trainer: rows must be >= 1");
    f = emscripten::convertJSArrayToNumberVector<float>(features);
    const int64_t want = static_cast<int64_t>(rows) * trainer_->feature_size();
    if (static_cast<int64_t>(f.size()) != want) {
      return Status::InvalidArgument("trainer: features has " + std::to_string(f.size()) + " values, rows*feature_size is " +
                                     std::to_string(want));
    }
    return Status::Ok();
  }

  val Run(const val& ids, const val& type_ids, const val& mask, int batch, int seq, const val& labels, bool update) {
    Inputs in;
    if (labels.isNull() || labels.isUndefined()) {
      return ErrorObject(Status::InvalidArgument("trainer: labels are required"));
    }
    Status s = Read(ids, type_ids, mask, batch, seq, labels, in);
    if (!s.ok()) return ErrorObject(s);
    Result<StepResult> r = update ? trainer_->Step(in.batch) : trainer_->LossAndGrads(in.batch);
    if (!r.ok()) return ErrorObject(r.status());
    return StepToJs(r.value());
  }

  val RunFeatures(const val& features, int rows, const val& labels, bool update) {
    if (!Usable()) return ErrorObject(error_);
    std::vector<float> f;
    Status s = ReadFeatures(features, rows, f);
    if (!s.ok()) return ErrorObject(s);
    std::vector<int32_t> y = Ints(labels);
    const int64_t want = rows;
    if (static_cast<int64_t>(y.size()) != want) {
      return ErrorObject(Status::InvalidArgument("trainer: labels must have one value per feature row"));
    }
    Result<StepResult> r = update ? trainer_->StepFeatures(f.data(), rows, y.data())
                                  : trainer_->LossAndGradsFeatures(f.data(), rows, y.data());
    if (!r.ok()) return ErrorObject(r.status());
    return StepToJs(r.value());
  }

  std::unique_ptr<Trainer> trainer_;
  Status error_;
};

}  // namespace bt

EMSCRIPTEN_BINDINGS(train) {
  using namespace emscripten;
  class_<bt::JsTrainer>("Trainer")
      .constructor<bt::JsModel*, const std::string&>(allow_raw_pointers())
      .function("error", &bt::JsTrainer::error)
      .function("step", &bt::JsTrainer::step)
      .function("lossAndGrads", &bt::JsTrainer::lossAndGrads)
      .function("logits", &bt::JsTrainer::logits)
      .function("features", &bt::JsTrainer::features)
      .function("stepFeatures", &bt::JsTrainer::stepFeatures)
      .function("lossAndGradsFeatures", &bt::JsTrainer::lossAndGradsFeatures)
      .function("logitsFeatures", &bt::JsTrainer::logitsFeatures)
      .function("gradient", &bt::JsTrainer::gradient)
      .function("parameters", &bt::JsTrainer::parameters)
      .function("tensors", &bt::JsTrainer::tensors)
      .function("state", &bt::JsTrainer::state)
      .function("loadState", &bt::JsTrainer::loadState)
      .function("info", &bt::JsTrainer::info);
}
