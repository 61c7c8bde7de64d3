// AdamW with a linear warmup/decay schedule and global-norm gradient clipping, as Hugging Face's
// Trainer runs them by default: torch.nn.utils.clip_grad_norm_(max_norm) -> torch.optim.AdamW.step()
// (decoupled weight decay, bias-corrected moments, amsgrad off) -> get_linear_schedule_with_warmup.
#pragma once

#include <cstdint>
#include <vector>

namespace bt {

struct OptimizerOptions {
  double lr = 5e-5;
  double weight_decay = 0.0;  // HF TrainingArguments' default; applied to weights, never to biases / LayerNorm
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;     // > 0: the schedule decays to 0 at this step
  double max_grad_norm = 1.0;  // 0: no clipping
  double l2 = 0.0;             // coupled L2 penalty (l2/2)·‖w‖² added to the loss, on weights only
  double head_lr = 0.0;        // > 0: the head's peak learning rate (a second torch param group, same schedule)
};

// The multiplier of lr for the optimizer step with 0-based index `step` (HF's lr_lambda(step)):
// step / warmup during warmup, then (total − step) / (total − warmup), never below 0.
double LinearScheduleFactor(int64_t step, int64_t warmup_steps, int64_t total_steps);

// One tensor the optimizer updates: its value, gradient and the two moments (same length).
struct OptimizerTensor {
  float* value = nullptr;
  float* grad = nullptr;
  float* m = nullptr;
  float* v = nullptr;
  int64_t size = 0;
  bool decay = false;  // weight decay (and l2) apply
  bool head = false;   // the task head's: learning rate head_lr when set
};

// clip_grad_norm_: the global L2 norm of all gradients (float64 sum); when above max_norm, every
// gradient is multiplied by max_norm / (norm + 1e-6). Returns the norm before clipping.
double ClipGradNorm(const std::vector<OptimizerTensor>& tensors, double max_norm);

// One torch.optim.AdamW step with learning rate `lr` (head tensors: lr·head_lr/lr when head_lr > 0, i.e.
// head_lr on the same schedule), `t` = the 1-based step count (bias correction):
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
void AdamWStep(const std::vector<OptimizerTensor>& tensors, const OptimizerOptions& o, double lr, int64_t t);

}  // namespace bt
