// Embind surface of the explanations (src/explain): an Explainer object that JS creates for a
// model on the first explain() call and keeps (it caches the backward weights, so inference-only
// users never pay for them), and ExplainSession, one explanation run a few batches per call
// (explain/session.h) so that JS can yield, report progress and cancel between them; explain() is
// the same computation in one call. Failures come back as {error: "..."}; a failed call leaves the
// explainer and the model usable. The model must outlive its explainer and the explainer its sessions
// (JS deletes sessions, then the explainer, then the model; see js/explain/index.js).
#include <emscripten/bind.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "core/thread_pool.h"
#include "explain/explain.h"
#include "explain/request_json.h"
#include "explain/session.h"
#include "js_model.h"
#include "js_values.h"
#include "options.h"

namespace bt {
namespace {

val NumberOrNull(double v) { return std::isnan(v) ? val::null() : val(v); }

val PredictionToJs(const Prediction& p) {
  val out = val::object();
  out.set("index", p.target.index);
  out.set("position", p.target.position);
  out.set("output", std::string(TargetOutputName(p.target.output)));
  out.set("value", p.value);
  out.set("logit", p.logit);
  out.set("probability", p.probability);
  out.set("argmax", p.argmax);
  out.set("argmax_probability", p.argmax_probability);
  out.set("top", CopyToJs(p.top));
  out.set("top_probabilities", CopyToJs(p.top_probabilities));
  return out;
}

// One sequence's request from the JS arguments; options_json: see explain/request_json.h.
Status ParseRequest(val ids, val type_ids, val words, const std::string& options_json, ExplainRequest& r) {
  r.ids = emscripten::convertJSArrayToNumberVector<int32_t>(ids);
  if (!type_ids.isNull() && !type_ids.isUndefined()) {
    r.type_ids = emscripten::convertJSArrayToNumberVector<int32_t>(type_ids);
  }
  r.words = emscripten::convertJSArrayToNumberVector<int32_t>(words);
  BT_RETURN_IF_ERROR(CheckOptionNames(options_json, contract::kExplainOptions, "explain options"));
  return ApplyExplainOptions(options_json, r);
}

val ExplanationToJs(ExplainMethod method, const Explanation& e) {
  val out = val::object();
  out.set("method", std::string(ExplainMethodName(method)));
  out.set("tokens", CopyToJs(e.tokens));
  out.set("words", CopyToJs(e.words));
  out.set("prediction", PredictionToJs(e.prediction));
  out.set("baseline_value", NumberOrNull(e.baseline_value));
  out.set("delta", NumberOrNull(e.delta));
  out.set("completeness_gap", NumberOrNull(e.completeness_gap));
  out.set("forward_sequences", static_cast<double>(e.forward_sequences));
  out.set("backward_sequences", static_cast<double>(e.backward_sequences));
  return out;
}

}  // namespace

class JsExplainer {
 public:
  explicit JsExplainer(JsModel& model) : explainer_(model.model()), model_(&model.model()) {}
  // Explanations run on any token ids (baselines, samples): only on a complete table.
  Status Ready() const { return model_->RequireCompleteWeights("explain"); }

  // ids, type_ids (or null), words: one sequence. options_json: see explain/request_json.h.
  val explain(val ids, val type_ids, val words, const std::string& options_json) {
    if (const Status ready = Ready(); !ready.ok()) return ErrorObject(ready);
    ExplainRequest r;
    const Status parsed = ParseRequest(ids, type_ids, words, options_json, r);
    if (!parsed.ok()) return ErrorObject(parsed);
    Result<Explanation> e = explainer_.Explain(r, DefaultThreadPool());
    if (!e.ok()) return ErrorObject(e.status());
    return ExplanationToJs(r.method, e.value());
  }

  double backwardBytes() const { return static_cast<double>(explainer_.backward_weights().bytes()); }
  Explainer& explainer() { return explainer_; }

 private:
  Explainer explainer_;
  const Model* model_;
};

// new ExplainSession(explainer, ids, typeIds, words, optionsJson): Begin (validation, the prediction's
// forward); error() says whether that failed. advance(n) runs the next n batches, finish() the rest and
// returns what explain() would. Deleting it half-way frees everything it holds.
class JsExplainSession {
 public:
  JsExplainSession(JsExplainer& explainer, val ids, val type_ids, val words, const std::string& options_json) {
    Status s = explainer.Ready();
    if (s.ok()) s = ParseRequest(ids, type_ids, words, options_json, request_);
    if (s.ok()) {
      Result<std::unique_ptr<ExplainSession>> begun = explainer.explainer().Begin(request_, DefaultThreadPool());
      if (begun.ok()) {
        session_ = std::move(begun).value();
      } else {
        s = begun.status();
      }
    }
    error_ = s;
  }

  val error() const { return error_.ok() ? val::null() : ErrorObject(error_); }

  val progress() const {
    if (session_ == nullptr) return ErrorObject(error_);
    val out = val::object();
    out.set("unit", std::string(session_->unit()));
    out.set("done", static_cast<double>(session_->done()));
    out.set("total", static_cast<double>(session_->total()));
    out.set("complete", session_->batches_done() >= session_->batches_total());
    return out;
  }

  val advance(double batches) {
    if (session_ == nullptr) return ErrorObject(error_);
    if (!(batches >= 1) || batches != std::floor(batches)) {
      return ErrorObject(Status::InvalidArgument("explain: advance needs a positive integer batch count"));
    }
    const Status s = session_->Step(static_cast<int64_t>(std::min(batches, 1e15)), DefaultThreadPool());
    if (!s.ok()) return ErrorObject(s);
    return progress();
  }

  val finish() {
    if (session_ == nullptr) return ErrorObject(error_);
    Result<Explanation> e = session_->Finish(DefaultThreadPool());
    if (!e.ok()) return ErrorObject(e.status());
    return ExplanationToJs(request_.method, e.value());
  }

 private:
  ExplainRequest request_;
  std::unique_ptr<ExplainSession> session_;
  Status error_;
};

}  // namespace bt

EMSCRIPTEN_BINDINGS(explain) {
  using namespace emscripten;
  class_<bt::JsExplainer>("Explainer")
      .constructor<bt::JsModel&>()
      .function("explain", &bt::JsExplainer::explain)
      .function("backwardBytes", &bt::JsExplainer::backwardBytes);
  class_<bt::JsExplainSession>("ExplainSession")
      .constructor<bt::JsExplainer&, val, val, val, const std::string&>()
      .function("error", &bt::JsExplainSession::error)
      .function("progress", &bt::JsExplainSession::progress)
      .function("advance", &bt::JsExplainSession::advance)
      .function("finish", &bt::JsExplainSession::finish);
}
