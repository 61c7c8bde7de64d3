// Task heads as small programs over the encoder's last hidden state: a row selection (the first
// token of each sequence, or every token) followed by dense / LayerNorm steps.
//   BERT sequence classification : first token -> pooler(tanh) -> classifier
//   DistilBERT                   : first token -> pre_classifier(relu) -> classifier
//   RoBERTa                      : first token -> dense(tanh) -> out_proj
//   masked LM                    : every token -> transform(act) -> LayerNorm -> tied decoder
//   token classification / QA    : every token -> classifier / qa_outputs
//   ELECTRA discriminator        : every token -> dense(hidden_act) -> dense_prediction (1 logit: replaced?)
// HeadForward runs a program on given rows, for inference (no tape) and explanations / training (a
// tape of each step's input and pre-activation); HeadBackward, beside it, runs it in reverse.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "models/blocks/dense.h"
#include "models/blocks/layer_norm.h"

namespace bt {

enum class HeadKind {
  kBase,
  kMaskedLm,
  kSequenceClassification,
  kTokenClassification,
  kQuestionAnswering,
  kReplacedTokenDetection,  // ELECTRA's discriminator (ElectraForPreTraining): one logit per token
};

// Heads with one output row per token (masked LM, token classification, replaced-token detection).
bool PerTokenHead(HeadKind kind);

const char* HeadKindName(HeadKind kind);

struct HeadStep {
  Linear linear;  // set for a dense step
  Activation activation = Activation::kNone;
  LayerNormWeights norm;  // used when `linear` is null
};

// The row a one-row-per-sequence head (first_token_only) reads: the first token (BERT's [CLS]), the
// last (XLNet's summary "last": its <cls> ends the sequence), or the mean of the unmasked rows
// (ModernBERT's classifier_pooling "mean", XLNet's summary "mean").
enum class SequenceRow { kFirst, kLast, kMean };

struct HeadProgram {
  bool first_token_only = false;  // one row per sequence (sequence_row), not every token
  SequenceRow sequence_row = SequenceRow::kFirst;
  std::vector<HeadStep> steps;
  int32_t output_size() const;  // features per selected row
  int32_t max_width(int32_t input_width) const;  // the widest of the input and every step's output
  bool empty() const { return steps.empty(); }
};

HeadStep LinearStep(Linear linear, Activation activation);
HeadStep NormStep(LayerNormWeights norm);

// The head's input: `count` rows of hidden ([*, width]) — hidden[rows[i]] when `rows` is set, else the
// first `count` rows as they are.
struct HeadInput {
  const float* hidden = nullptr;
  int32_t width = 0;
  const int32_t* rows = nullptr;
  int32_t count = 0;
};

struct HeadBuffers {
  float* a = nullptr;  // [count, max_width] each: the steps alternate between them
  float* b = nullptr;
  LinearScratch gemm;
};

// Per step: its input and, for a dense step with an activation, the pre-activation (pointers into
// the arena; step i's input is step i-1's output).
struct HeadStepTape {
  const float* input = nullptr;  // [count, width in]
  float* pre = nullptr;          // [count, n]
  float* out = nullptr;          // [count, width out]
};
struct HeadTape {
  int32_t rows = 0;
  float* gathered = nullptr;  // [count, input width] the selected input rows (when HeadInput::rows is set)
  std::vector<HeadStepTape> steps;
  // Training: classifier dropout on the last dense step's input (dropout.h), written to `dropped`
  // ([count, that input's width]); set by the caller before HeadForward.
  float dropout = 0.0f;
  uint64_t dropout_key = 0;
  float* dropped = nullptr;
};

// Returns the output rows ([count, output_size]), in the buffers or on the tape.
const float* HeadForward(const HeadProgram& head, const HeadInput& in, const HeadBuffers& buffers, HeadTape* tape,
                         ThreadPool& pool);

struct HeadGrads {
  std::vector<LinearGrads> linear;  // per step (dense steps)
  std::vector<LayerNormGrads> norm; // per step (norm steps)
};

// doutput [count, output_size] -> drows [count, input width], the gradient w.r.t. the head's input
// rows. buffers: two [count, max_width] regions (not the forward's: its tape may point into those).
void HeadBackward(const HeadProgram& head, const HeadTape& tape, const float* doutput, float* drows,
                  const HeadBuffers& buffers, const HeadGrads* grads, ThreadPool& pool);

}  // namespace bt
