// Trainer: fine-tuning on the engine's own forward and backward pass (issue 19). Over a loaded model
// (or, for a head on cached features, none) it trains a fresh (or the checkpoint's) classification /
// token-classification head plus, optionally, the last N encoder layers, the embeddings, or LoRA
// adapters on every layer's projections (PEFT target_modules; query and value by default);
// cross-entropy loss; AdamW with linear warmup and decay and global-norm clipping, as Hugging Face's
// Trainer does by default.
//
// How it sits on the model: the trainer keeps float32 master copies of what it trains (and AdamW's
// moments) and packs them into its own Linear / LayerNorm / table objects. A step swaps those into the
// model's parts, runs the one forward pass with a kParameterGradients tape in the trainer's own arena,
// the backward (stopping below the lowest trained layer), and swaps them back: outside a call the model
// is exactly the loaded checkpoint (inference and explanations on it are unchanged).
// Head-only training never tapes the encoder: its features are an inference forward (last layer pruned
// to the rows the head reads), and the head runs on them (or on features the caller cached).
// Dropout (hidden_dropout / attention_dropout / classifier_dropout) is applied in the taped training forward,
// with masks from the seed and the step (models/dropout.h); head-only training on features has none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "models/backward_weights.h"
#include "models/model.h"
#include "train/optimizer.h"
#include "train/rng.h"

namespace bt {

enum class TrainTask { kSequence, kToken };

struct TrainerOptions {
  TrainTask task = TrainTask::kSequence;
  int32_t num_labels = 0;
  int32_t layers = 0;        // the last N encoder layers are trained; -1: all
  bool embeddings = false;   // also the embeddings (tables, LayerNorm, ALBERT's projection)
  int32_t lora_r = 0;        // > 0: LoRA on every layer (layers must be 0)
  double lora_alpha = 0;
  // PEFT's target_modules: a layer module is adapted when its name (HF, within the layer) equals a
  // target or ends with "." + target; empty: query and value.
  std::vector<std::string> lora_targets;
  // Training-forward dropout (HF train mode; dropout.h): hidden_dropout_prob, attention_probs_dropout_prob
  // (taped layers), classifier dropout.
  double hidden_dropout = 0, attention_dropout = 0, classifier_dropout = 0;
  bool keep_head = false;    // continue the checkpoint's classifier when kind and num_labels match
  OptimizerOptions optimizer;
  uint64_t seed = 42;
  int32_t feature_size = 0;  // > 0: no model, a linear classifier on feature rows of this size
  double initializer_range = 0.02;
};

// Parses the options JSON (names: engine_contract.json "train", "optimizer", "lora").
Result<TrainerOptions> ParseTrainerOptions(const std::string& json_text);

struct TrainBatch {
  int32_t batch = 0, seq = 0;
  const int32_t* ids = nullptr;       // [batch*seq]
  const int32_t* type_ids = nullptr;  // [batch*seq] or null
  const int32_t* mask = nullptr;      // [batch*seq] or null (all ones)
  const int32_t* labels = nullptr;    // sequence [batch]; token [batch*seq] (-100 ignored)
};

struct StepResult {
  double loss = 0;       // mean cross-entropy (+ the l2 penalty when set)
  double grad_norm = 0;  // the global gradient norm before clipping
  double lr = 0;         // the learning rate the step used (0 for LossAndGrads)
  int64_t step = 0;      // optimizer steps taken so far
};

// A trainable tensor as Hugging Face names it (a fused q|k|v parameter shows as its three tensors).
struct ParameterInfo {
  std::string name;
  std::vector<int64_t> shape;
};

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

class Trainer {
 public:
  // model: null only with feature_size > 0. The model must outlive the trainer.
  static Result<std::unique_ptr<Trainer>> Create(Model* model, const TrainerOptions& options);
  ~Trainer();

  Result<StepResult> Step(const TrainBatch& batch);          // forward, backward, clip, AdamW, schedule
  Result<StepResult> LossAndGrads(const TrainBatch& batch);  // forward and backward only (gradients kept)
  // Logits [rows, num_labels] (sequence: rows = batch; token: batch*seq).
  Result<std::vector<float>> Logits(const TrainBatch& batch);
  // Head-only: the frozen encoder's rows the head reads ([rows, feature_size()]).
  Result<std::vector<float>> Features(const TrainBatch& batch);
  Result<StepResult> StepFeatures(const float* features, int32_t rows, const int32_t* labels);
  Result<StepResult> LossAndGradsFeatures(const float* features, int32_t rows, const int32_t* labels);
  Result<std::vector<float>> LogitsFeatures(const float* features, int32_t rows);

  bool head_only() const { return head_only_; }
  int32_t feature_size() const;
  const TrainerOptions& options() const { return options_; }
  int64_t step() const { return step_; }
  std::vector<ParameterInfo> Parameters() const;
  // The gradient of a trainable tensor (HF name) from the last Step / LossAndGrads (before clipping).
  Result<std::vector<float>> Gradient(const std::string& name) const;
  // Tensors in HF names: trained_only — what differs from the checkpoint (LoRA merged) plus the head;
  // else the whole model as *ForSequenceClassification / *ForTokenClassification.
  Result<std::vector<NamedTensor>> Tensors(bool trained_only) const;
  int64_t trainable_parameters() const;
  // Bytes the trainer holds: master weights, gradients, moments, packed copies, its arenas.
  uint64_t memory_bytes() const;
  uint64_t peak_arena_bytes() const { return peak_arena_; }

  // Resume: step, RNG, every trained value and moment, checked against the options on load.
  std::vector<uint8_t> State() const;
  Status LoadState(const uint8_t* data, size_t size);

  // Tests (finite differences): a trainable value by HF name and flat index; Set repacks.
  Result<float> GetValue(const std::string& name, int64_t index) const;
  Status SetValue(const std::string& name, int64_t index, float value);

  struct Impl;

 private:
  Trainer();
  Result<EncoderInput> Input(const TrainBatch& b);
  Status CheckLabels(const int32_t* labels, int64_t rows) const;
  Result<double> HeadRun(const float* features, int32_t rows, const int32_t* labels, std::vector<float>* logits);
  Result<double> FullRun(const TrainBatch& b, bool backward, std::vector<float>* logits);
  Result<StepResult> Gradients(const float* features, int32_t rows, const TrainBatch* batch, const int32_t* labels);
  Result<StepResult> Update(Result<StepResult> grads);

  std::unique_ptr<Impl> impl_;
  TrainerOptions options_;
  bool head_only_ = false;
  int64_t step_ = 0;
  uint64_t peak_arena_ = 0;
};

}  // namespace bt
