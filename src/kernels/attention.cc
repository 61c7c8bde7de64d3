// Multi-head self-attention, one (batch, head) pair at a time, straight from the token-major
// q/k/v buffers (no transposes or copies). Padded keys are skipped entirely: their probability is
// written as exactly 0 and they never enter the dot products or the weighted sum of values.
#include <algorithm>
#include <cstring>

#include "kernels/attention.h"
#include "kernels/norm.h"

namespace bt {
namespace {

float Dot(const float* a, const float* b, int32_t n) {
  float part[4] = {0, 0, 0, 0};
  int32_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; ++j) part[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) part[i & 3] += a[i] * b[i];
  return (part[0] + part[2]) + (part[1] + part[3]);
}

void Axpy(float alpha, const float* x, float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

// One (b, h) pair. `valid` lists the attended key indices; `scores` holds seq floats.
void AttendHead(const AttentionShape& s, const float* q, const float* k, const float* v, const int32_t* valid,
                int32_t num_valid, float scale, float* ctx, int32_t ctx_stride, float* probs, float* scores) {
  const int32_t seq = s.seq, hd = s.head_dim;
  for (int32_t i = 0; i < seq; ++i) {
    const float* qi = q + static_cast<size_t>(i) * s.q_stride;
    float* out = ctx + static_cast<size_t>(i) * ctx_stride;
    std::memset(out, 0, sizeof(float) * hd);
    float* prow = probs != nullptr ? probs + static_cast<size_t>(i) * seq : nullptr;
    if (num_valid == 0) {  // Hugging Face's finfo.min mask on every key: uniform weights
      const float p = 1.0f / static_cast<float>(seq);
      for (int32_t j = 0; j < seq; ++j) Axpy(p, v + static_cast<size_t>(j) * s.v_stride, out, hd);
      if (prow != nullptr) std::fill(prow, prow + seq, p);
      continue;
    }
    for (int32_t t = 0; t < num_valid; ++t)
      scores[t] = Dot(qi, k + static_cast<size_t>(valid[t]) * s.k_stride, hd) * scale;
    SoftmaxRow(scores, num_valid);
    for (int32_t t = 0; t < num_valid; ++t) Axpy(scores[t], v + static_cast<size_t>(valid[t]) * s.v_stride, out, hd);
    if (prow != nullptr) {
      std::fill(prow, prow + seq, 0.0f);
      for (int32_t t = 0; t < num_valid; ++t) prow[valid[t]] = scores[t];
    }
  }
}

// Per worker slot: scores[seq] + valid[seq].
int64_t SlotFloats(const AttentionShape& s) { return 2 * static_cast<int64_t>(s.seq) + 16; }

}  // namespace

int64_t AttentionScratchFloats(const AttentionShape& shape, const ThreadPool& pool) {
  return SlotFloats(shape) * std::max(1, pool.num_threads());
}

void MultiHeadAttention(const AttentionShape& s, const float* q, const float* k, const float* v,
                        const int32_t* mask, float scale, float* ctx, float* probs, float* scratch,
                        ThreadPool& pool) {
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.heads;
  if (pairs <= 0 || s.seq <= 0) return;
  const int32_t hidden = s.heads * s.head_dim;
  const int64_t slots = std::min<int64_t>(std::max(1, pool.num_threads()), pairs);
  // Work is split into `slots` fixed ranges of pairs, each with its own scratch; a pair's result
  // does not depend on the split, so output is identical for any thread count.
  pool.ParallelFor(slots, 1, [&](int64_t slot0, int64_t slot1) {
    for (int64_t slot = slot0; slot < slot1; ++slot) {
      float* scores = scratch + slot * SlotFloats(s);
      int32_t* valid = reinterpret_cast<int32_t*>(scores + s.seq);
      int32_t last_batch = -1, num_valid = 0;
      for (int64_t pair = slot * pairs / slots; pair < (slot + 1) * pairs / slots; ++pair) {
        const int32_t b = static_cast<int32_t>(pair / s.heads), h = static_cast<int32_t>(pair % s.heads);
        if (b != last_batch) {
          num_valid = 0;
          for (int32_t j = 0; j < s.seq; ++j)
            if (mask[static_cast<size_t>(b) * s.seq + j] != 0) valid[num_valid++] = j;
          last_batch = b;
        }
        const size_t row0 = static_cast<size_t>(b) * s.seq;
        const size_t col = static_cast<size_t>(h) * s.head_dim;
        AttendHead(s, q + row0 * s.q_stride + col, k + row0 * s.k_stride + col, v + row0 * s.v_stride + col, valid,
                   num_valid, scale, ctx + row0 * hidden + col, hidden,
                   probs != nullptr ? probs + static_cast<size_t>(pair) * s.seq * s.seq : nullptr, scores);
      }
    }
  });
}

}  // namespace bt
