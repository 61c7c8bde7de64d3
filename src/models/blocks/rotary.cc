#include "models/blocks/rotary.h"

#include <cmath>

namespace bt {

std::shared_ptr<const RotaryTable> MakeRotaryTable(double base, int32_t head_dim, int32_t positions) {
  auto t = std::make_shared<RotaryTable>();
  t->base = base;
  t->head_dim = head_dim;
  t->positions = positions;
  const int32_t half = head_dim / 2;
  t->cos.resize(static_cast<size_t>(positions) * half);
  t->sin.resize(static_cast<size_t>(positions) * half);
  for (int32_t i = 0; i < half; ++i) {
    // inv_freq = 1 / base ** (arange(0, dim, 2).float() / dim), in float32.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    const float inv_freq = 1.0f / static_cast<float>(std::pow(base, static_cast<double>(exponent)));
    for (int32_t p = 0; p < positions; ++p) {
      const float angle = static_cast<float>(p) * inv_freq;  // float32 product, as the matmul gives it
      t->cos[static_cast<size_t>(p) * half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      t->sin[static_cast<size_t>(p) * half + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
  return t;
}

void ApplyRotary(const RotaryTable& table, float* x, int64_t stride, int32_t rows, int32_t heads,
                 const int32_t* positions, int32_t seq, bool inverse) {
  const int32_t hd = table.head_dim, half = hd / 2;
  for (int32_t r = 0; r < rows; ++r) {
    const int32_t p = (positions != nullptr ? positions[r] : r) % seq;
    const float* c = table.cos.data() + static_cast<size_t>(p) * half;
    const float* s = table.sin.data() + static_cast<size_t>(p) * half;
    float* row = x + r * stride;
    for (int32_t h = 0; h < heads; ++h) {
      float* v = row + static_cast<size_t>(h) * hd;
      for (int32_t i = 0; i < half; ++i) {
        const float a = v[i], b = v[i + half];
        if (!inverse) {
          // q·cos + rotate_half(q)·sin, each product rounded before the sum (as torch computes it).
          const float ac = a * c[i], bs = b * s[i], bc = b * c[i], as = a * s[i];
          v[i] = ac - bs;
          v[i + half] = bc + as;
        } else {
          const float ac = a * c[i], bs = b * s[i], bc = b * c[i], as = a * s[i];
          v[i] = ac + bs;
          v[i + half] = bc - as;
        }
      }
    }
  }
}

}  // namespace bt
