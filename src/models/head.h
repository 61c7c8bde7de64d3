// Task heads as small programs over the encoder's last hidden state: a row selection (the
// first token of each sequence, or every token) followed by linear / LayerNorm steps.
//   BERT sequence classification : first token -> pooler(tanh) -> classifier
//   DistilBERT                   : first token -> pre_classifier(relu) -> classifier
//   RoBERTa                      : first token -> dense(tanh) -> out_proj
//   masked LM                    : every token -> transform(act) -> LayerNorm -> tied decoder
//   token classification / QA    : every token -> classifier / qa_outputs
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "models/layers.h"

namespace bt {

enum class HeadKind { kBase, kMaskedLm, kSequenceClassification, kTokenClassification, kQuestionAnswering };

const char* HeadKindName(HeadKind kind);

struct HeadStep {
  Linear linear;            // set for a linear step
  Activation activation = Activation::kNone;
  LayerNormWeights norm;    // used when `linear` is null
};

struct HeadProgram {
  bool first_token_only = false;
  std::vector<HeadStep> steps;
  int32_t output_size() const;  // features per selected row
  bool empty() const { return steps.empty(); }
};

HeadStep LinearStep(Linear linear, Activation activation);
HeadStep NormStep(LayerNormWeights norm);

// The two buffers a head's steps alternate between; kept by the model so that a forward call does
// not allocate once they have grown to its largest call.
struct HeadScratch {
  std::vector<float> current, next;
  size_t bytes() const { return (current.capacity() + next.capacity()) * sizeof(float); }
};

// hidden: [batch*seq, hidden_size]. Writes [batch, output] (first token), [batch*seq, output], or for a
// per-token head given `rows` (flat token indices, may be nullptr) [rows->size(), output].
void RunHead(const HeadProgram& head, const float* hidden, int32_t batch, int32_t seq, int32_t hidden_size,
             std::vector<float>& out, HeadScratch& scratch, ThreadPool& pool,
             const std::vector<int32_t>* rows = nullptr);

}  // namespace bt
