// Which scalar an explanation differentiates: an output of the head, read as a logit, a
// probability or a log-probability.
//   sequence classification: class `index`                    (softmax over the classes)
//   token classification   : label `index` of token `position` (softmax over the labels)
//   masked LM              : vocabulary id `index` at `position` (softmax over the vocabulary)
//   question answering     : `index` 0 = start, 1 = end score at `position`
//                            (softmax over the positions the attention mask keeps)
// index / position -1 means "the model's own prediction" (argmax), resolved on the input itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/architecture.h"

namespace bt {

enum class TargetOutput { kLogit, kProbability, kLogProbability };

Result<TargetOutput> ParseTargetOutput(const std::string& name);
const char* TargetOutputName(TargetOutput output);

struct Target {
  int32_t index = -1;
  int32_t position = -1;
  TargetOutput output = TargetOutput::kProbability;
};

// Checks the head (the base model has nothing to explain), index and position against the sizes.
Status ValidateTarget(const ModelParts& parts, const Target& target, int32_t seq);

// Positions of one sequence the head must run on: [CLS] (sequence classification), the target
// token (token classification, MLM), or every position (QA).
std::vector<int32_t> TargetRows(const ModelParts& parts, const Target& target, int32_t seq);

// The vector the target's softmax runs over, from the head output on TargetRows ([rows, n]) of one
// sequence; masked QA positions are -inf.
std::vector<double> TargetLogits(const ModelParts& parts, const Target& target, const float* head_output,
                                 const int32_t* mask, int32_t seq);

// Fills index / position = -1 with the argmax of the target's logits.
Target ResolveTarget(const ModelParts& parts, const Target& target, const float* head_output, const int32_t* mask,
                     int32_t seq);

// The scalar of a resolved target; with dhead != null also its gradient w.r.t. the head output
// ([rows, n], overwritten).
double TargetValue(const ModelParts& parts, const Target& target, const float* head_output, const int32_t* mask,
                   int32_t seq, float* dhead);

// Softmax of logits (masked entries -inf give 0).
std::vector<double> Softmax(const std::vector<double>& logits);

}  // namespace bt
