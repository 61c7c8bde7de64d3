#include "models/head.h"

#include <algorithm>
#include <cstring>

#include "kernels/activation.h"
#include "kernels/gemm_unpack.h"
#include "models/dropout.h"

namespace bt {

const char* HeadKindName(HeadKind kind) {
  switch (kind) {
    case HeadKind::kBase: return "base";
    case HeadKind::kMaskedLm: return "masked_lm";
    case HeadKind::kSequenceClassification: return "sequence_classification";
    case HeadKind::kTokenClassification: return "token_classification";
    case HeadKind::kQuestionAnswering: return "question_answering";
    case HeadKind::kReplacedTokenDetection: return "replaced_token_detection";
  }
  return "?";
}

bool PerTokenHead(HeadKind kind) {
  return kind == HeadKind::kMaskedLm || kind == HeadKind::kTokenClassification ||
         kind == HeadKind::kReplacedTokenDetection;
}

namespace {

// The index of the last dense step (classifier dropout acts on its input), or -1.
int32_t LastLinear(const HeadProgram& head) {
  for (size_t i = head.steps.size(); i-- > 0;) {
    if (head.steps[i].linear) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace

int32_t HeadProgram::output_size() const {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (it->linear) return it->linear->n();
  }
  return 0;
}

int32_t HeadProgram::max_width(int32_t input_width) const {
  int32_t width = input_width;
  for (const HeadStep& step : steps) {
    if (step.linear) width = std::max(width, step.linear->n());
  }
  return width;
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

const float* HeadForward(const HeadProgram& head, const HeadInput& in, const HeadBuffers& buffers, HeadTape* tape,
                         ThreadPool& pool) {
  const int32_t rows = in.count;
  if (tape != nullptr) {
    tape->rows = rows;
    tape->steps.resize(head.steps.size());
  }
  if (rows == 0) return buffers.a;
  int32_t width = in.width;
  // Without a tape the steps alternate between buffers a and b; with one, each writes its own region.
  float* next = buffers.a;
  const float* input = in.hidden;
  if (in.rows != nullptr) {  // the requested rows, gathered
    float* gathered = tape != nullptr ? tape->gathered : next;
    for (int32_t r = 0; r < rows; ++r) {
      std::memcpy(gathered + static_cast<size_t>(r) * width, in.hidden + static_cast<size_t>(in.rows[r]) * width,
                  sizeof(float) * width);
    }
    input = gathered;
    next = buffers.b;
  }
  for (size_t i = 0; i < head.steps.size(); ++i) {
    const HeadStep& step = head.steps[i];
    HeadStepTape* st = tape != nullptr ? &tape->steps[i] : nullptr;
    float* out = st != nullptr ? st->out : next;
    if (st != nullptr && tape->dropout > 0.0f && static_cast<int32_t>(i) == LastLinear(head)) {
      const int64_t n = static_cast<int64_t>(rows) * width;
      std::memcpy(tape->dropped, input, sizeof(float) * static_cast<size_t>(n));
      ApplyDropout(tape->dropout_key, kDropoutClassifier, tape->dropout, tape->dropped, n);
      input = tape->dropped;
    }
    if (st != nullptr) st->input = input;
    if (!step.linear) {
      LayerNormForward(step.norm, input, out, rows, width, pool);
    } else if (st != nullptr && step.activation != Activation::kNone) {
      // The pre-activation is kept; the activation is element-wise, so applying it apart from the GEMM
      // gives the fused call's values bit for bit.
      width = step.linear->n();
      LinearForward(*step.linear, input, rows, Activation::kNone, nullptr, st->pre, pool, nullptr, buffers.gemm);
      std::memcpy(out, st->pre, sizeof(float) * static_cast<size_t>(rows) * width);
      ApplyActivation(step.activation, out, static_cast<int64_t>(rows) * width);
    } else {
      width = step.linear->n();
      LinearForward(*step.linear, input, rows, step.activation, nullptr, out, pool, nullptr, buffers.gemm);
    }
    input = out;
    next = out == buffers.a ? buffers.b : buffers.a;
  }
  return input;
}

void HeadBackward(const HeadProgram& head, const HeadTape& tape, const float* doutput, float* drows,
                  const HeadBuffers& buffers, const HeadGrads* grads, ThreadPool& pool) {
  const int32_t rows = tape.rows;
  if (rows == 0 || head.steps.empty()) return;
  float* g = buffers.a;  // the gradient w.r.t. the current step's output
  float* dx = buffers.b;
  std::memcpy(g, doutput, sizeof(float) * static_cast<size_t>(rows) * head.output_size());
  for (size_t i = head.steps.size(); i-- > 0;) {
    const HeadStep& step = head.steps[i];
    const HeadStepTape& st = tape.steps[i];
    const int32_t in_width = step.linear ? step.linear->k() : static_cast<int32_t>(step.norm.gamma.size());
    float* out = i == 0 ? drows : dx;
    std::fill(out, out + static_cast<size_t>(rows) * in_width, 0.0f);
    if (step.linear) {
      const int32_t n = step.linear->n();
      ActivationBackward(step.activation, st.pre, g, static_cast<int64_t>(rows) * n);
      if (grads != nullptr && i < grads->linear.size()) {
        AccumulateLinearGrads(st.input, g, rows, n, in_width, grads->linear[i], pool);
      }
      AccumulateLinearInputGradient(*step.linear, g, rows, out);
      if (tape.dropout > 0.0f && static_cast<int32_t>(i) == LastLinear(head)) {
        ApplyDropout(tape.dropout_key, kDropoutClassifier, tape.dropout, out, static_cast<int64_t>(rows) * in_width);
      }
    } else {
      LayerNormBackward(step.norm, st.input, g, rows, in_width, out, pool,
                        grads != nullptr && i < grads->norm.size() ? &grads->norm[i] : nullptr);
    }
    if (i > 0) std::swap(g, dx);
  }
}

}  // namespace bt
