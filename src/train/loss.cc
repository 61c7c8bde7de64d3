#include "train/loss.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace bt {

Result<CrossEntropyResult> CrossEntropy(const float* logits, const int32_t* labels, int64_t rows, int32_t classes,
                                        float* dlogits) {
  CrossEntropyResult r;
  for (int64_t i = 0; i < rows; ++i) {
    const int32_t y = labels[i];
    if (y == kIgnoreLabel) continue;
    if (y < 0 || y >= classes) {
      return Status::InvalidArgument("labels[" + std::to_string(i) + "] = " + std::to_string(y) +
                                     " is outside [0, " + std::to_string(classes) + ") (and is not -100)")
          .WithDetails(FieldDetails("labels"));
    }
    ++r.counted;
  }
  if (r.counted == 0) {
    return Status::InvalidArgument("labels: every row is -100 (ignored): the batch has nothing to learn from")
        .WithDetails(FieldDetails("labels"));
  }
  std::vector<double> p(static_cast<size_t>(classes));
  double total = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const float* z = logits + i * classes;
    float* dz = dlogits != nullptr ? dlogits + i * classes : nullptr;
    const int32_t y = labels[i];
    if (y == kIgnoreLabel) {
      if (dz != nullptr) std::fill(dz, dz + classes, 0.0f);
      continue;
    }
    double max = z[0];
    for (int32_t c = 1; c < classes; ++c) max = std::max(max, static_cast<double>(z[c]));
    double sum = 0;
    for (int32_t c = 0; c < classes; ++c) sum += (p[c] = std::exp(static_cast<double>(z[c]) - max));
    total += std::log(sum) + max - z[y];
    if (dz != nullptr) {
      for (int32_t c = 0; c < classes; ++c) {
        dz[c] = static_cast<float>((p[c] / sum - (c == y ? 1.0 : 0.0)) / static_cast<double>(r.counted));
      }
    }
  }
  r.loss = total / static_cast<double>(r.counted);
  return r;
}

}  // namespace bt
