// Cross-entropy over rows of logits, as torch.nn.CrossEntropyLoss (mean reduction, ignore_index -100):
// what Hugging Face's *ForSequenceClassification (single label) and *ForTokenClassification compute.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/status.h"

namespace bt {

constexpr int32_t kIgnoreLabel = -100;

// Error details naming the field / limit at fault (for the trainer's errors).
inline StatusDetails FieldDetails(std::string field) {
  StatusDetails d;
  d.field = std::move(field);
  return d;
}
inline StatusDetails LimitDetails(std::string limit) {
  StatusDetails d;
  d.limit = std::move(limit);
  return d;
}

struct CrossEntropyResult {
  double loss = 0;      // mean over the counted rows
  int64_t counted = 0;  // rows whose label is not kIgnoreLabel
};

// logits [rows, classes]; labels [rows] in [0, classes) or kIgnoreLabel. dlogits (optional, [rows,
// classes]): d loss / d logits = (softmax − onehot) / counted, 0 on ignored rows. Statistics in double.
// INVALID_ARGUMENT (field "labels") for a label out of range or when no row is counted.
Result<CrossEntropyResult> CrossEntropy(const float* logits, const int32_t* labels, int64_t rows, int32_t classes,
                                        float* dlogits);

}  // namespace bt
