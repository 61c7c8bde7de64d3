#include "models/head.h"

#include <algorithm>
#include <cstring>

#include "kernels/norm.h"

namespace bt {

const char* HeadKindName(HeadKind kind) {
  switch (kind) {
    case HeadKind::kBase: return "base";
    case HeadKind::kMaskedLm: return "masked_lm";
    case HeadKind::kSequenceClassification: return "sequence_classification";
    case HeadKind::kTokenClassification: return "token_classification";
    case HeadKind::kQuestionAnswering: return "question_answering";
  }
  return "?";
}

int32_t HeadProgram::output_size() const {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (it->linear) return it->linear->n();
  }
  return 0;
}

HeadStep LinearStep(Linear linear, Activation activation) {
  HeadStep step;
  step.linear = std::move(linear);
  step.activation = activation;
  return step;
}

HeadStep NormStep(LayerNormWeights norm) {
  HeadStep step;
  step.norm = std::move(norm);
  return step;
}

void RunHead(const HeadProgram& head, const float* hidden, int32_t batch, int32_t seq, int32_t hidden_size,
             std::vector<float>& out, HeadScratch& scratch, ThreadPool& pool, const std::vector<int32_t>* rows_at) {
  const bool gather_rows = rows_at != nullptr && !head.first_token_only;
  const int32_t rows = head.first_token_only ? batch : gather_rows ? static_cast<int32_t>(rows_at->size()) : batch * seq;
  if (rows == 0) {
    out.clear();
    return;
  }
  int32_t width = hidden_size;
  // `current` holds the rows being transformed; the first token of each sequence, or the requested
  // token rows, are gathered into it. Linear steps write `next`, then the two swap.
  std::vector<float>& current = scratch.current;
  std::vector<float>& next = scratch.next;
  const float* input = hidden;
  if (head.first_token_only || gather_rows) {
    current.resize(static_cast<size_t>(rows) * width);
    for (int32_t r = 0; r < rows; ++r) {
      const size_t token = gather_rows ? static_cast<size_t>((*rows_at)[r]) : static_cast<size_t>(r) * seq;
      std::memcpy(current.data() + static_cast<size_t>(r) * width, hidden + token * width, sizeof(float) * width);
    }
    input = current.data();
  }
  for (const HeadStep& step : head.steps) {
    if (step.linear) {
      next.resize(static_cast<size_t>(rows) * step.linear->n());
      LinearForward(*step.linear, input, rows, step.activation, nullptr, next.data(), pool);
      width = step.linear->n();
      current.swap(next);
    } else {
      if (input != current.data()) current.assign(input, input + static_cast<size_t>(rows) * width);
      LayerNorm(current.data(), rows, width, step.norm.gamma.data(), step.norm.beta.data(), step.norm.eps, pool);
    }
    input = current.data();
  }
  out.assign(input, input + static_cast<size_t>(rows) * width);
}

}  // namespace bt
