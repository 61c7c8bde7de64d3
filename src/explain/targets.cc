#include "explain/targets.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bt {
namespace {

int32_t HeadOutputs(const ModelParts& parts) { return parts.head_program.output_size(); }

// Index of a target's entry within TargetLogits.
int32_t LogitIndex(const ModelParts& parts, const Target& t) {
  return parts.head == HeadKind::kQuestionAnswering ? t.position : t.index;
}

}  // namespace

Result<TargetOutput> ParseTargetOutput(const std::string& name) {
  if (name == "logit") return TargetOutput::kLogit;
  if (name == "probability" || name == "prob") return TargetOutput::kProbability;
  if (name == "log_probability" || name == "logprob") return TargetOutput::kLogProbability;
  return Status::InvalidArgument("explain: output '" + name + "' is not one of logit, probability, log_probability");
}

const char* TargetOutputName(TargetOutput output) {
  switch (output) {
    case TargetOutput::kLogit: return "logit";
    case TargetOutput::kProbability: return "probability";
    case TargetOutput::kLogProbability: return "log_probability";
  }
  return "?";
}

Status ValidateTarget(const ModelParts& parts, const Target& t, int32_t seq) {
  if (parts.head == HeadKind::kBase || parts.head_program.empty()) {
    return Status::InvalidArgument("explain: a base model has no prediction to explain (load a model with a task head)");
  }
  const int32_t n = HeadOutputs(parts);
  const bool qa = parts.head == HeadKind::kQuestionAnswering;
  const int32_t index_limit = qa ? 2 : n;
  if (t.index < -1 || t.index >= index_limit) {
    const char* what = qa ? "score (0 = start, 1 = end)" : parts.head == HeadKind::kMaskedLm ? "token id" : "label";
    return Status::InvalidArgument("explain: target " + std::string(what) + " " + std::to_string(t.index) +
                         " is out of range [0, " + std::to_string(index_limit) + ")");
  }
  const bool needs_position = PerTokenHead(parts.head);
  if (needs_position && t.position < 0) return Status::InvalidArgument("explain: this head needs a target token position");
  if (t.position < -1 || t.position >= seq) {
    return Status::InvalidArgument("explain: target position " + std::to_string(t.position) + " is outside the " +
                         std::to_string(seq) + " tokens of the input");
  }
  return Status::Ok();
}

std::vector<int32_t> TargetRows(const ModelParts& parts, const Target& t, int32_t seq) {
  if (parts.head == HeadKind::kSequenceClassification) {  // (a mean reads every row: RunForward pools them)
    return {parts.head_program.sequence_row == SequenceRow::kLast ? seq - 1 : 0};
  }
  if (parts.head != HeadKind::kQuestionAnswering) return {t.position};
  std::vector<int32_t> rows(static_cast<size_t>(seq));
  for (int32_t i = 0; i < seq; ++i) rows[i] = i;
  return rows;
}

std::vector<double> TargetLogits(const ModelParts& parts, const Target& t, const float* out, const int32_t* mask,
                                 int32_t seq) {
  if (parts.head != HeadKind::kQuestionAnswering) return std::vector<double>(out, out + HeadOutputs(parts));
  const int32_t column = t.index < 0 ? 0 : t.index;
  std::vector<double> z(static_cast<size_t>(seq));
  for (int32_t p = 0; p < seq; ++p) {
    z[p] = mask[p] != 0 ? out[2 * p + column] : -std::numeric_limits<double>::infinity();
  }
  return z;
}

Target ResolveTarget(const ModelParts& parts, const Target& t, const float* out, const int32_t* mask, int32_t seq) {
  Target r = t;
  const std::vector<double> z = TargetLogits(parts, t, out, mask, seq);
  const int32_t best = static_cast<int32_t>(std::max_element(z.begin(), z.end()) - z.begin());
  if (parts.head == HeadKind::kQuestionAnswering) {
    if (r.index < 0) r.index = 0;
    if (r.position < 0) r.position = best;
  } else if (r.index < 0) {
    r.index = best;
  }
  if (parts.head == HeadKind::kSequenceClassification) r.position = 0;
  return r;
}

std::vector<double> Softmax(const std::vector<double>& z) {
  const double top = *std::max_element(z.begin(), z.end());
  std::vector<double> p(z.size());
  double sum = 0.0;
  for (size_t i = 0; i < z.size(); ++i) sum += (p[i] = std::exp(z[i] - top));
  for (double& v : p) v /= sum;
  return p;
}

double TargetValue(const ModelParts& parts, const Target& t, const float* out, const int32_t* mask, int32_t seq,
                   float* dhead) {
  const std::vector<double> z = TargetLogits(parts, t, out, mask, seq);
  const int32_t c = LogitIndex(parts, t);
  std::vector<double> dz(z.size(), 0.0);
  double value = z[c];
  dz[c] = 1.0;
  if (t.output != TargetOutput::kLogit && parts.head == HeadKind::kReplacedTokenDetection) {
    // One logit per token: the probability that the token was replaced is its sigmoid.
    // d p / dz = p (1 - p);  d log p / dz = 1 - p
    const double p = 1.0 / (1.0 + std::exp(-z[c]));
    value = t.output == TargetOutput::kProbability ? p : std::log(p);
    dz[c] = t.output == TargetOutput::kProbability ? p * (1.0 - p) : 1.0 - p;
  } else if (t.output != TargetOutput::kLogit) {
    const std::vector<double> p = Softmax(z);
    // d log p_c / dz = onehot - p;  d p_c / dz = p_c (onehot - p)
    const double factor = t.output == TargetOutput::kProbability ? p[c] : 1.0;
    value = t.output == TargetOutput::kProbability ? p[c] : std::log(p[c]);
    for (size_t i = 0; i < z.size(); ++i) dz[i] = factor * ((static_cast<int32_t>(i) == c ? 1.0 : 0.0) - p[i]);
  }
  if (dhead != nullptr) {
    if (parts.head != HeadKind::kQuestionAnswering) {
      for (size_t i = 0; i < z.size(); ++i) dhead[i] = static_cast<float>(dz[i]);
    } else {
      for (int32_t p = 0; p < seq; ++p) {
        dhead[2 * p + t.index] = static_cast<float>(dz[p]);
        dhead[2 * p + 1 - t.index] = 0.0f;
      }
    }
  }
  return value;
}

}  // namespace bt
