#include "models/blocks/geglu.h"

#include <cstring>
#include <vector>

#include "kernels/activation.h"
#include "models/blocks/dense.h"

namespace bt {

void GegluForward(Activation act, const float* x, int32_t rows, int32_t inner, float* out) {
  std::vector<float> a(static_cast<size_t>(inner));
  for (int32_t r = 0; r < rows; ++r) {
    const float* in = x + static_cast<size_t>(r) * 2 * inner;
    std::memcpy(a.data(), in, sizeof(float) * inner);
    ApplyActivation(act, a.data(), inner);
    // Row r's output ends before row r's gate and every later row: in place is safe in row order.
    float* o = out + static_cast<size_t>(r) * inner;
    for (int32_t i = 0; i < inner; ++i) o[i] = a[i] * in[inner + i];
  }
}

void GegluBackward(Activation act, const float* x, const float* dout, int32_t rows, int32_t inner, float* dx) {
  std::vector<float> value(static_cast<size_t>(inner)), slope(static_cast<size_t>(inner));
  for (int32_t r = rows - 1; r >= 0; --r) {  // reverse order: dx row r never covers an unread dout row
    const float* in = x + static_cast<size_t>(r) * 2 * inner;
    std::memcpy(value.data(), in, sizeof(float) * inner);
    ApplyActivation(act, value.data(), inner);
    std::fill(slope.begin(), slope.end(), 1.0f);
    ActivationBackward(act, in, slope.data(), inner);
    const float* g = dout + static_cast<size_t>(r) * inner;
    float* d = dx + static_cast<size_t>(r) * 2 * inner;
    for (int32_t i = inner - 1; i >= 0; --i) {
      const float gi = g[i];
      d[inner + i] = gi * value[i];
      d[i] = gi * in[inner + i] * slope[i];
    }
  }
}

}  // namespace bt
