// The run paths of a Trainer: input checks, the head-only and full forward + backward, the AdamW
// update, features, logits and the small accessors. Create: trainer_create.cc; Tensors and the resume
// state: trainer_export.cc; the options JSON: trainer_options.cc; Impl's packing: trainer_impl.cc.
#include "train/trainer.h"

#include <algorithm>
#include <cmath>

#include "models/forward.h"
#include "train/loss.h"
#include "train/trainer_impl.h"

namespace bt {

using train_internal::LinearUnit;
using train_internal::Param;
using train_internal::SwapGuard;
using train_internal::TableUnit;
using train_internal::VectorBytes;
using train_internal::VectorUnit;
using train_internal::View;

Trainer::Trainer() : impl_(std::make_unique<Impl>()) {}
Trainer::~Trainer() = default;

int32_t Trainer::feature_size() const {
  if (options_.feature_size > 0) return options_.feature_size;
  return impl_->parts != nullptr ? impl_->parts->encoder.hidden_size : 0;
}

namespace {

// Lays out the head's forward (taped) and backward buffers over `rows` rows of `width` features.
struct HeadPlan {
  HeadBuffers forward, backward;
  HeadTape tape;
  float* dlogits = nullptr;
  float* drows = nullptr;
};

HeadPlan LayoutHead(ArenaLayout& a, const HeadProgram& head, int32_t rows, int32_t width, bool backward) {
  HeadPlan p;
  const int64_t maxw = head.max_width(width);
  p.forward.a = a.Take<float>(rows * maxw);
  p.forward.b = a.Take<float>(rows * maxw);
  p.tape.steps.resize(head.steps.size());
  int64_t w = width;
  for (size_t i = 0; i < head.steps.size(); ++i) {
    const HeadStep& step = head.steps[i];
    if (step.linear) {
      w = step.linear->n();
      if (step.activation != Activation::kNone) p.tape.steps[i].pre = a.Take<float>(rows * w);
    }
    p.tape.steps[i].out = a.Take<float>(rows * w);
  }
  if (backward) {
    p.backward.a = a.Take<float>(rows * maxw);
    p.backward.b = a.Take<float>(rows * maxw);
    p.dlogits = a.Take<float>(rows * head.output_size());
    p.drows = a.Take<float>(static_cast<int64_t>(rows) * width);
  }
  return p;
}

}  // namespace

// The shared part of every call on ids: the validated input (mask defaults to all ones).
Result<EncoderInput> Trainer::Input(const TrainBatch& b) {
  Impl& im = *impl_;
  if (im.model == nullptr) {
    return Status::InvalidArgument("trainer: this trainer has no model (from_features): use the *Features calls");
  }
  if (b.batch < 1 || b.seq < 1) return Status::InvalidArgument("trainer: batch and seq must be >= 1");
  const Limits& limits = im.model->limits();
  if (b.batch > limits.max_batch) {
    return Status::Limit("trainer: batch " + std::to_string(b.batch) + " exceeds limits.max_batch " +
                         std::to_string(limits.max_batch)).WithDetails(LimitDetails("max_batch"));
  }
  const int64_t m = static_cast<int64_t>(b.batch) * b.seq;
  if (m > limits.max_tokens) {
    return Status::Limit("trainer: " + std::to_string(m) + " tokens exceed limits.max_tokens " +
                         std::to_string(limits.max_tokens)).WithDetails(LimitDetails("max_tokens"));
  }
  EncoderInput in{b.batch, b.seq, b.ids, b.type_ids, b.mask, nullptr};
  if (in.mask == nullptr) {
    im.ones.assign(static_cast<size_t>(m), 1);
    in.mask = im.ones.data();
  }
  BT_RETURN_IF_ERROR(ValidateEncoderInput(im.parts->encoder, in));
  return in;
}

Status Trainer::CheckLabels(const int32_t* labels, int64_t rows) const {
  if (labels == nullptr) return Status::InvalidArgument("trainer: labels are required").WithDetails(FieldDetails("labels"));
  (void)rows;
  return Status::Ok();
}

// Head-only: the head (and its loss) on feature rows. logits: optional [rows, labels] out.
Result<double> Trainer::HeadRun(const float* features, int32_t rows, const int32_t* labels, std::vector<float>* logits) {
  Impl& im = *impl_;
  const int32_t width = feature_size();
  if (rows < 1) return Status::InvalidArgument("trainer: features need at least one row");
  for (int64_t i = 0; i < static_cast<int64_t>(rows) * width; ++i) {
    if (!std::isfinite(features[i])) {
      return Status::InvalidArgument("trainer: features[" + std::to_string(i) + "] is not finite").WithDetails(FieldDetails("features"));
    }
  }
  const bool backward = labels != nullptr;
  ArenaLayout measure;
  LayoutHead(measure, im.head, rows, width, backward);
  if (!im.head_arena.Reserve(measure.bytes())) return Status::OutOfMemory("trainer: out of memory for the head's buffers");
  peak_arena_ = std::max<uint64_t>(peak_arena_, im.arena.capacity() + im.head_arena.capacity());
  ArenaLayout place(im.head_arena);
  HeadPlan plan = LayoutHead(place, im.head, rows, width, backward);
  ThreadPool& pool = DefaultThreadPool();
  const float* out = HeadForward(im.head, HeadInput{features, width, nullptr, rows}, plan.forward, &plan.tape, pool);
  const int32_t classes = options_.num_labels;
  if (logits != nullptr) logits->assign(out, out + static_cast<size_t>(rows) * classes);
  if (!backward) return 0.0;
  BT_ASSIGN_OR_RETURN(CrossEntropyResult ce, CrossEntropy(out, labels, rows, classes, plan.dlogits));
  HeadBackward(im.head, plan.tape, plan.dlogits, plan.drows, plan.backward, &im.head_grads, pool);
  return ce.loss;
}

// Every other case: the taped forward of the model with the trained weights swapped in, then backward.
Result<double> Trainer::FullRun(const TrainBatch& b, bool backward, std::vector<float>* logits) {
  Impl& im = *impl_;
  BT_ASSIGN_OR_RETURN(EncoderInput in, Input(b));
  const int32_t m = b.batch * b.seq;
  const bool sequence = options_.task == TrainTask::kSequence;
  ForwardSpec spec;
  spec.input = in;
  spec.run_head = true;
  if (sequence) {
    im.rows.resize(static_cast<size_t>(b.batch));
    for (int32_t i = 0; i < b.batch; ++i) im.rows[i] = i * b.seq;
    spec.head_rows = RowSelection{im.rows.data(), b.batch};
  } else {
    spec.head_rows = RowSelection{nullptr, m};
  }
  if (backward) {
    spec.tape = true;
    spec.tape_contents = TapeContents::kParameterGradients;
    spec.tape_from_layer = im.encoder_grads.first_layer;  // nothing below the lowest trained layer is taped
    spec.backward = &im.bw;
    if (options_.hidden_dropout > 0 || options_.attention_dropout > 0 || options_.classifier_dropout > 0) {
      // a new mask every step, from the seed
      spec.dropout.hidden = static_cast<float>(options_.hidden_dropout);
      spec.dropout.attention = static_cast<float>(options_.attention_dropout);
      spec.dropout.classifier = static_cast<float>(options_.classifier_dropout);
      spec.dropout.key = options_.seed ^ (static_cast<uint64_t>(step_ + 1) * 0xD1B54A32D192ED03ull);
    }
  } else {
    spec.hidden = nullptr;
  }
  SwapGuard guard(im);
  ThreadPool& pool = DefaultThreadPool();
  const ModelParts& parts = *im.parts;
  const uint64_t bytes = ForwardArenaBytes(parts, spec, pool);
  const Limits& limits = im.model->limits();
  if (static_cast<int64_t>(bytes) > limits.max_forward_bytes) {
    return Status::Limit("trainer: this batch needs " + std::to_string(bytes) + " bytes of working memory, over limits.max_forward_bytes " +
                         std::to_string(limits.max_forward_bytes) + " (smaller batches or shorter max_length)")
        .WithDetails(LimitDetails("max_forward_bytes"));
  }
  BT_ASSIGN_OR_RETURN(ForwardPass pass, RunForward(parts, spec, im.arena, pool));
  peak_arena_ = std::max<uint64_t>(peak_arena_, im.arena.capacity() + im.head_arena.capacity());
  const int32_t rows = spec.head_rows.count, classes = options_.num_labels;
  if (logits != nullptr) logits->assign(pass.head, pass.head + static_cast<size_t>(rows) * classes);
  if (!backward) return 0.0;
  im.dlogits.resize(static_cast<size_t>(rows) * classes);
  BT_ASSIGN_OR_RETURN(CrossEntropyResult ce, CrossEntropy(pass.head, b.labels, rows, classes, im.dlogits.data()));
  BackwardRequest request;
  request.dhead = im.dlogits.data();
  if (im.encoder_grads.embeddings != nullptr) {
    im.dword.resize(static_cast<size_t>(m) * parts.encoder.embedding_size);
    request.dword = im.dword.data();
  }
  request.grads = &im.encoder_grads;
  request.head_grads = &im.head_grads;
  BT_RETURN_IF_ERROR(RunBackward(parts, im.bw, pass, request, pool));
  return ce.loss;
}

// Loss and gradients (zeroed first): the head-only or full path, then LoRA's and the l2 penalty's share.
Result<StepResult> Trainer::Gradients(const float* features, int32_t rows, const TrainBatch* batch, const int32_t* labels) {
  Impl& im = *impl_;
  BT_RETURN_IF_ERROR(CheckLabels(labels, 0));
  im.ZeroGrads();
  Result<double> loss = Status::Internal("trainer: no path");
  if (batch == nullptr) {
    loss = HeadRun(features, rows, labels, nullptr);
  } else if (head_only_) {
    BT_ASSIGN_OR_RETURN(std::vector<float> f, Features(*batch));
    const int32_t n = static_cast<int32_t>(f.size() / feature_size());
    loss = HeadRun(f.data(), n, labels, nullptr);
  } else {
    loss = FullRun(*batch, true, nullptr);
  }
  if (!loss.ok()) return loss.status();
  im.LoraGrads();
  double penalty = 0;
  if (options_.optimizer.l2 > 0) {
    const float l2 = static_cast<float>(options_.optimizer.l2);
    for (Param& p : im.params) {
      if (!p.decay) continue;
      for (int64_t i = 0; i < p.size(); ++i) {
        penalty += static_cast<double>(p.value[i]) * p.value[i];
        p.grad[i] += l2 * p.value[i];
      }
    }
    penalty *= 0.5 * options_.optimizer.l2;
  }
  StepResult r;
  r.loss = loss.value() + penalty;
  double sum = 0;
  for (const Param& p : im.params) {
    for (float g : p.grad) sum += static_cast<double>(g) * g;
  }
  r.grad_norm = std::sqrt(sum);
  r.step = step_;
  return r;
}

Result<StepResult> Trainer::Update(Result<StepResult> grads) {
  if (!grads.ok()) return grads;
  Impl& im = *impl_;
  StepResult r = grads.value();
  if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) {
    return Status::InvalidArgument("trainer: the loss or gradient is not finite (loss " + std::to_string(r.loss) +
                                   "): training diverged; lower optimizer.lr. No update was made.")
        .WithDetails(FieldDetails("optimizer.lr"));
  }
  std::vector<OptimizerTensor> tensors = im.OptimizerTensors();
  ClipGradNorm(tensors, options_.optimizer.max_grad_norm);
  const OptimizerOptions& o = options_.optimizer;
  r.lr = o.lr * LinearScheduleFactor(step_, o.warmup_steps, o.total_steps);
  AdamWStep(tensors, o, r.lr, step_ + 1);
  ++step_;
  r.step = step_;
  BT_RETURN_IF_ERROR(im.SyncAll());
  return r;
}

Result<StepResult> Trainer::LossAndGrads(const TrainBatch& batch) { return Gradients(nullptr, 0, &batch, batch.labels); }
Result<StepResult> Trainer::Step(const TrainBatch& batch) { return Update(LossAndGrads(batch)); }
Result<StepResult> Trainer::LossAndGradsFeatures(const float* features, int32_t rows, const int32_t* labels) {
  if (!head_only_) return Status::InvalidArgument("trainer: feature calls train the head only (layers 0, no lora, no embeddings)");
  return Gradients(features, rows, nullptr, labels);
}
Result<StepResult> Trainer::StepFeatures(const float* features, int32_t rows, const int32_t* labels) {
  return Update(LossAndGradsFeatures(features, rows, labels));
}

Result<std::vector<float>> Trainer::LogitsFeatures(const float* features, int32_t rows) {
  if (!head_only_) return Status::InvalidArgument("trainer: feature calls train the head only (layers 0, no lora, no embeddings)");
  std::vector<float> logits;
  BT_RETURN_IF_ERROR(HeadRun(features, rows, nullptr, &logits).status());
  return logits;
}

Result<std::vector<float>> Trainer::Features(const TrainBatch& b) {
  Impl& im = *impl_;
  if (!head_only_) return Status::InvalidArgument("trainer: features are the frozen encoder's: only for head-only training");
  BT_ASSIGN_OR_RETURN(EncoderInput in, Input(b));
  const bool sequence = options_.task == TrainTask::kSequence;
  ForwardSpec spec;
  spec.input = in;
  if (sequence) {
    im.rows.resize(static_cast<size_t>(b.batch));
    for (int32_t i = 0; i < b.batch; ++i) im.rows[i] = i * b.seq;
    spec.last_layer_rows = im.rows.data();
    spec.last_layer_count = b.batch;
  }
  ThreadPool& pool = DefaultThreadPool();
  BT_ASSIGN_OR_RETURN(ForwardPass pass, RunForward(*im.parts, spec, im.arena, pool));
  peak_arena_ = std::max<uint64_t>(peak_arena_, im.arena.capacity() + im.head_arena.capacity());
  const size_t count = static_cast<size_t>(pass.rows) * im.parts->encoder.hidden_size;
  return std::vector<float>(pass.hidden, pass.hidden + count);
}

Result<std::vector<float>> Trainer::Logits(const TrainBatch& b) {
  std::vector<float> logits;
  if (head_only_) {
    BT_ASSIGN_OR_RETURN(std::vector<float> f, Features(b));
    const int32_t n = static_cast<int32_t>(f.size() / feature_size());
    BT_RETURN_IF_ERROR(HeadRun(f.data(), n, nullptr, &logits).status());
  } else {
    BT_RETURN_IF_ERROR(FullRun(b, false, &logits).status());
  }
  return logits;
}

std::vector<ParameterInfo> Trainer::Parameters() const {
  std::vector<ParameterInfo> out;
  for (const View& v : impl_->views) out.push_back({v.name, v.shape});
  return out;
}

int64_t Trainer::trainable_parameters() const {
  int64_t n = 0;
  for (const Param& p : impl_->params) n += p.size();
  return n;
}

uint64_t Trainer::memory_bytes() const {
  const Impl& im = *impl_;
  uint64_t bytes = im.arena.capacity() + im.head_arena.capacity() + im.bw.bytes();
  for (const Param& p : im.params) bytes += VectorBytes(p.value) + VectorBytes(p.grad) + VectorBytes(p.m) + VectorBytes(p.v);
  for (const LinearUnit& u : im.linears) {
    bytes += VectorBytes(u.base_w) + VectorBytes(u.base_b) + VectorBytes(u.dw);
    const Linear& l = u.owned ? *u.slot : u.mine;
    if (l) bytes += l->bytes();
  }
  for (const TableUnit& u : im.tables) bytes += u.mine.bytes();
  for (const VectorUnit& u : im.vectors) bytes += VectorBytes(u.mine);
  bytes += VectorBytes(im.dlogits) + VectorBytes(im.dword);
  return bytes;
}

Result<std::vector<float>> Trainer::Gradient(const std::string& name) const {
  const View* v = impl_->FindView(name);
  if (v == nullptr) return Status::InvalidArgument("trainer: no trainable tensor '" + name + "'").WithDetails(FieldDetails(name));
  const std::vector<float>& g = impl_->params[v->param].grad;
  return std::vector<float>(g.begin() + v->offset, g.begin() + v->offset + v->size());
}

Result<float> Trainer::GetValue(const std::string& name, int64_t index) const {
  const View* v = impl_->FindView(name);
  if (v == nullptr || index < 0 || index >= v->size()) return Status::InvalidArgument("trainer: no value " + name);
  return impl_->params[v->param].value[v->offset + index];
}

Status Trainer::SetValue(const std::string& name, int64_t index, float value) {
  const View* v = impl_->FindView(name);
  if (v == nullptr || index < 0 || index >= v->size()) return Status::InvalidArgument("trainer: no value " + name);
  impl_->params[v->param].value[v->offset + index] = value;
  return impl_->SyncAll();
}

}  // namespace bt
