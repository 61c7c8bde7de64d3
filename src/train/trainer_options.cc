// Trainer options from JSON (the names engine_contract.json declares): every error is the caller's,
// INVALID_ARGUMENT with the field.
#include <cmath>

#include "io/json_util.h"
#include "train/loss.h"
#include "train/trainer.h"

namespace bt {
namespace {

Status OptionError(const std::string& field, const std::string& what) {
  return Status::InvalidArgument("trainer options: " + field + " " + what).WithDetails(FieldDetails(field));
}

Result<TrainerOptions> ParseOptions(const std::string& json_text) {
  TrainerOptions o;
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(json_text.empty() ? "{}" : json_text, "trainer options"));
  if (!json.is_object()) return OptionError("options", "must be a JSON object");
  const std::string p = "trainer options";
  BT_ASSIGN_OR_RETURN(std::string task, JsonString(json, "task", "sequence", p));
  if (task == "sequence") {
    o.task = TrainTask::kSequence;
  } else if (task == "token") {
    o.task = TrainTask::kToken;
  } else {
    return OptionError("task", "must be 'sequence' or 'token' (got '" + task + "')");
  }
  BT_ASSIGN_OR_RETURN(int64_t labels, JsonInt(json, "num_labels", 0, p));
  if (labels < 2 || labels > 1 << 20) return OptionError("num_labels", "must be an integer in [2, 1048576]");
  o.num_labels = static_cast<int32_t>(labels);
  BT_ASSIGN_OR_RETURN(int64_t layers, JsonInt(json, "layers", 0, p));
  if (layers < -1 || layers > 1 << 16) return OptionError("layers", "must be -1 (all) or a count of layers >= 0");
  o.layers = static_cast<int32_t>(layers);
  BT_ASSIGN_OR_RETURN(o.embeddings, JsonBool(json, "embeddings", false, p));
  BT_ASSIGN_OR_RETURN(o.keep_head, JsonBool(json, "keep_head", false, p));
  BT_ASSIGN_OR_RETURN(int64_t seed, JsonInt(json, "seed", 42, p));
  o.seed = static_cast<uint64_t>(seed);
  BT_ASSIGN_OR_RETURN(o.initializer_range, JsonNumber(json, "initializer_range", 0.02, p));
  if (!(o.initializer_range >= 0 && o.initializer_range < 10)) return OptionError("initializer_range", "must be in [0, 10)");
  if (const Json* lora = OptionalField(json, "lora")) {
    if (!lora->is_object()) return OptionError("lora", "must be null or {r, alpha}");
    BT_ASSIGN_OR_RETURN(int64_t r, JsonInt(*lora, "r", 8, p + ".lora"));
    if (r < 1 || r > 4096) return OptionError("lora.r", "must be an integer in [1, 4096]");
    o.lora_r = static_cast<int32_t>(r);
    BT_ASSIGN_OR_RETURN(o.lora_alpha, JsonNumber(*lora, "alpha", static_cast<double>(r), p + ".lora"));
    if (!std::isfinite(o.lora_alpha)) return OptionError("lora.alpha", "must be a finite number");
    if (const Json* targets = OptionalField(*lora, "target_modules")) {
      if (!targets->is_array() || targets->empty()) return OptionError("lora.target_modules", "must be a non-empty array of module names");
      for (const Json& t : *targets) {
        if (!t.is_string() || t.get<std::string>().empty()) return OptionError("lora.target_modules", "must hold module names (strings)");
        o.lora_targets.push_back(t.get<std::string>());
      }
    }
    if (o.layers != 0 || o.embeddings) {
      return OptionError("lora", "trains adapters on frozen layers: use it with layers 0 and embeddings false");
    }
  }
  if (const Json* d = OptionalField(json, "dropout")) {
    if (!d->is_object()) return OptionError("dropout", "must be null or {hidden, attention, classifier}");
    BT_ASSIGN_OR_RETURN(o.hidden_dropout, JsonNumber(*d, "hidden", 0.0, p + ".dropout"));
    BT_ASSIGN_OR_RETURN(o.attention_dropout, JsonNumber(*d, "attention", 0.0, p + ".dropout"));
    if (!(o.attention_dropout >= 0 && o.attention_dropout < 1)) return OptionError("dropout.attention", "must be a number in [0, 1)");
    BT_ASSIGN_OR_RETURN(o.classifier_dropout, JsonNumber(*d, "classifier", o.hidden_dropout, p + ".dropout"));
    if (!(o.hidden_dropout >= 0 && o.hidden_dropout < 1)) return OptionError("dropout.hidden", "must be a number in [0, 1)");
    if (!(o.classifier_dropout >= 0 && o.classifier_dropout < 1)) {
      return OptionError("dropout.classifier", "must be a number in [0, 1)");
    }
  }
  if (const Json* f = OptionalField(json, "from_features")) {
    if (!f->is_object()) return OptionError("from_features", "must be null or {size}");
    BT_ASSIGN_OR_RETURN(int64_t size, JsonInt(*f, "size", 0, p + ".from_features"));
    if (size < 1 || size > 1 << 20) return OptionError("from_features.size", "must be an integer in [1, 1048576]");
    o.feature_size = static_cast<int32_t>(size);
  }
  const Json* opt = OptionalField(json, "optimizer");
  if (opt == nullptr) return OptionError("optimizer", "is required (at least {total_steps})");
  if (!opt->is_object()) return OptionError("optimizer", "must be an object");
  OptimizerOptions& oo = o.optimizer;
  const std::string q = p + ".optimizer";
  BT_ASSIGN_OR_RETURN(oo.lr, JsonNumber(*opt, "lr", oo.lr, q));
  BT_ASSIGN_OR_RETURN(oo.weight_decay, JsonNumber(*opt, "weight_decay", oo.weight_decay, q));
  BT_ASSIGN_OR_RETURN(oo.beta1, JsonNumber(*opt, "beta1", oo.beta1, q));
  BT_ASSIGN_OR_RETURN(oo.beta2, JsonNumber(*opt, "beta2", oo.beta2, q));
  BT_ASSIGN_OR_RETURN(oo.eps, JsonNumber(*opt, "eps", oo.eps, q));
  BT_ASSIGN_OR_RETURN(oo.max_grad_norm, JsonNumber(*opt, "max_grad_norm", oo.max_grad_norm, q));
  BT_ASSIGN_OR_RETURN(oo.l2, JsonNumber(*opt, "l2", oo.l2, q));
  BT_ASSIGN_OR_RETURN(oo.head_lr, JsonNumber(*opt, "head_lr", 0.0, q));
  BT_ASSIGN_OR_RETURN(oo.warmup_steps, JsonInt(*opt, "warmup_steps", 0, q));
  BT_ASSIGN_OR_RETURN(oo.total_steps, JsonInt(*opt, "total_steps", 0, q));
  if (!(std::isfinite(oo.lr) && oo.lr >= 0 && oo.lr <= 10)) return OptionError("optimizer.lr", "must be a finite number in [0, 10]");
  if (!(std::isfinite(oo.weight_decay) && oo.weight_decay >= 0 && oo.weight_decay * oo.lr < 1)) {
    return OptionError("optimizer.weight_decay", "must be finite, >= 0 and lr * weight_decay < 1");
  }
  if (!(oo.beta1 >= 0 && oo.beta1 < 1)) return OptionError("optimizer.beta1", "must be in [0, 1)");
  if (!(oo.beta2 >= 0 && oo.beta2 < 1)) return OptionError("optimizer.beta2", "must be in [0, 1)");
  if (!(std::isfinite(oo.eps) && oo.eps > 0)) return OptionError("optimizer.eps", "must be a finite number > 0");
  if (!(std::isfinite(oo.max_grad_norm) && oo.max_grad_norm >= 0)) {
    return OptionError("optimizer.max_grad_norm", "must be a finite number >= 0 (0: no clipping)");
  }
  if (!(std::isfinite(oo.l2) && oo.l2 >= 0)) return OptionError("optimizer.l2", "must be a finite number >= 0");
  if (!(std::isfinite(oo.head_lr) && oo.head_lr >= 0 && oo.head_lr <= 10 && oo.head_lr * oo.weight_decay < 1)) {
    return OptionError("optimizer.head_lr", "must be a finite number in [0, 10] (0: lr) with head_lr * weight_decay < 1");
  }
  if (oo.head_lr > 0 && oo.lr <= 0) return OptionError("optimizer.head_lr", "needs lr > 0 (the schedule is lr's)");
  if (oo.total_steps < 1) return OptionError("optimizer.total_steps", "must be an integer >= 1");
  if (oo.warmup_steps < 0 || oo.warmup_steps > oo.total_steps) {
    return OptionError("optimizer.warmup_steps", "must be in [0, total_steps]");
  }
  return o;
}

}  // namespace

// Every error in the caller's options is theirs: INVALID_ARGUMENT.
Result<TrainerOptions> ParseTrainerOptions(const std::string& json_text) {
  Result<TrainerOptions> o = ParseOptions(json_text);
  if (!o.ok()) return o.status().WithCode(StatusCode::kInvalidArgument);
  return o;
}

}  // namespace bt
