// Embind surface of the explanations (src/explain): an Explainer object that JS creates for a
// model on the first explain() call and keeps (it caches the backward weights, so inference-only
// users never pay for them). Failures come back as {error: "..."}; a failed call leaves both the
// explainer and the model usable. The model must outlive its explainer (JS deletes the explainer
// first; see js/explain/index.js).
#include <emscripten/bind.h>

#include <cmath>

#include "core/thread_pool.h"
#include "explain/explain.h"
#include "explain/request_json.h"
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

}  // namespace

class JsExplainer {
 public:
  explicit JsExplainer(JsModel& model) : explainer_(model.model()) {}

  // ids, type_ids (or null), words: one sequence. options_json: see explain/request_json.h.
  val explain(val ids, val type_ids, val words, const std::string& options_json) {
    ExplainRequest r;
    r.ids = emscripten::convertJSArrayToNumberVector<int32_t>(ids);
    if (!type_ids.isNull() && !type_ids.isUndefined()) {
      r.type_ids = emscripten::convertJSArrayToNumberVector<int32_t>(type_ids);
    }
    r.words = emscripten::convertJSArrayToNumberVector<int32_t>(words);
    Status parsed = CheckOptionNames(options_json, contract::kExplainOptions, "explain options");
    if (parsed.ok()) parsed = ApplyExplainOptions(options_json, r);
    if (!parsed.ok()) return ErrorObject(parsed);
    Result<Explanation> e = explainer_.Explain(r, DefaultThreadPool());
    if (!e.ok()) return ErrorObject(e.status());
    val out = val::object();
    out.set("method", std::string(ExplainMethodName(r.method)));
    out.set("tokens", CopyToJs(e->tokens));
    out.set("words", CopyToJs(e->words));
    out.set("prediction", PredictionToJs(e->prediction));
    out.set("baseline_value", NumberOrNull(e->baseline_value));
    out.set("delta", NumberOrNull(e->delta));
    out.set("completeness_gap", NumberOrNull(e->completeness_gap));
    out.set("forward_sequences", static_cast<double>(e->forward_sequences));
    out.set("backward_sequences", static_cast<double>(e->backward_sequences));
    return out;
  }

  double backwardBytes() const { return static_cast<double>(explainer_.backward_weights().bytes()); }

 private:
  Explainer explainer_;
};

}  // namespace bt

EMSCRIPTEN_BINDINGS(explain) {
  using namespace emscripten;
  class_<bt::JsExplainer>("Explainer")
      .constructor<bt::JsModel&>()
      .function("explain", &bt::JsExplainer::explain)
      .function("backwardBytes", &bt::JsExplainer::backwardBytes);
}
