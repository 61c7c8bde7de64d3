#include "explain/request_json.h"

#include "io/json_util.h"

namespace bt {
namespace {

constexpr const char* kWhere = "explain options";

Result<int32_t> Int32Field(const Json& json, const char* key, int32_t fallback) {
  if (json.contains(key) && json[key].is_number_float()) {
    return Status::InvalidArgument(std::string(kWhere) + ": " + key + " must be an integer");
  }
  BT_ASSIGN_OR_RETURN(int64_t v, JsonInt(json, key, fallback, kWhere));
  if (v < INT32_MIN || v > INT32_MAX) return Status::InvalidArgument(std::string(kWhere) + ": " + key + " is out of range");
  return static_cast<int32_t>(v);
}

Status ApplyOptions(const std::string& json_text, ExplainRequest& r) {
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(json_text, kWhere));
  if (!json.is_object()) return Status::InvalidArgument(std::string(kWhere) + ": expected a JSON object");
  BT_ASSIGN_OR_RETURN(std::string method, JsonString(json, "method", ExplainMethodName(r.method), kWhere));
  BT_ASSIGN_OR_RETURN(r.method, ParseExplainMethod(method));
  BT_ASSIGN_OR_RETURN(r.target.index, Int32Field(json, "target", r.target.index));
  BT_ASSIGN_OR_RETURN(r.target.position, Int32Field(json, "position", r.target.position));
  BT_ASSIGN_OR_RETURN(std::string output, JsonString(json, "output", TargetOutputName(r.target.output), kWhere));
  BT_ASSIGN_OR_RETURN(r.target.output, ParseTargetOutput(output));
  BT_ASSIGN_OR_RETURN(r.steps, Int32Field(json, "steps", r.steps));
  BT_ASSIGN_OR_RETURN(std::string rule, JsonString(json, "integration", r.trapezoid ? "riemann_trapezoid" : "gausslegendre", kWhere));
  if (rule != "gausslegendre" && rule != "riemann_trapezoid") {
    return Status::InvalidArgument(std::string(kWhere) + ": integration '" + rule + "' is not gausslegendre or riemann_trapezoid");
  }
  r.trapezoid = rule == "riemann_trapezoid";
  BT_ASSIGN_OR_RETURN(r.samples, Int32Field(json, "samples", r.samples));
  BT_ASSIGN_OR_RETURN(int64_t seed, JsonInt(json, "seed", static_cast<int64_t>(r.seed), kWhere));
  r.seed = static_cast<uint64_t>(seed);
  if (json.contains("baseline")) {  // absent: the method's default (Baseline::kDefault)
    BT_ASSIGN_OR_RETURN(std::string baseline, JsonString(json, "baseline", "", kWhere));
    if (baseline != "pad" && baseline != "zero") {
      return Status::InvalidArgument(std::string(kWhere) + ": baseline '" + baseline + "' is not pad or zero");
    }
    r.baseline = baseline == "zero" ? Baseline::kZero : Baseline::kPad;
  }
  BT_ASSIGN_OR_RETURN(r.baseline_id, Int32Field(json, "baseline_id", r.baseline_id));
  BT_ASSIGN_OR_RETURN(r.kernel_width, JsonNumber(json, "kernel_width", r.kernel_width, kWhere));
  BT_ASSIGN_OR_RETURN(r.ridge_alpha, JsonNumber(json, "ridge_alpha", r.ridge_alpha, kWhere));
  BT_ASSIGN_OR_RETURN(r.max_batch_tokens, Int32Field(json, "max_batch_tokens", r.max_batch_tokens));
  return Status::Ok();
}

}  // namespace

Status ApplyExplainOptions(const std::string& json_text, ExplainRequest& r) {
  if (json_text.empty()) return Status::Ok();
  // The caller's options: every failure to read them is an invalid argument.
  return ApplyOptions(json_text, r).WithCode(StatusCode::kInvalidArgument);
}

}  // namespace bt
