#include "models/blocks/relative_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/dot.h"

namespace bt {
namespace {

// Whether key j of a batch row counts for query i.
bool QueryValid(const RelativeAttention& a, const int32_t* mask_row, int32_t i) {
  return a.masking == RelativeMasking::kKeys || mask_row[i] != 0;
}

// One query row of one head: the probabilities over the row's keys into p[seq]. Returns false when
// no key is valid (p is then uniform over every key, as an all-(finfo.min) softmax row is).
bool RowProbabilities(const RelativeAttention& a, const AttentionShape& s, const float* qi, const float* k_row0,
                      const int32_t* mask_row, int32_t i, int32_t h, float* p) {
  const int32_t seq = s.seq, hd = s.head_dim;
  const bool query_valid = QueryValid(a, mask_row, i);
  float max = -std::numeric_limits<float>::infinity();
  bool any = false;
  for (int32_t j = 0; j < seq; ++j) {
    if (!query_valid || mask_row[j] == 0) continue;
    const float* kj = k_row0 + static_cast<size_t>(j) * s.k_stride + static_cast<size_t>(h) * hd;
    const size_t idx = static_cast<size_t>(a.Index(i, j));
    float dot = DotF32(qi, kj, hd);
    if (!a.pos_key.empty()) dot += DotF32(qi, a.pos_key.data() + idx * a.width + static_cast<size_t>(h) * a.head_stride, hd);
    if (!a.pos_query.empty()) {
      dot += DotF32(kj, a.pos_query.data() + idx * a.width + static_cast<size_t>(h) * a.head_stride, hd);
    }
    float score = dot * a.scale;
    if (!a.bias.empty()) score += a.bias[idx * static_cast<size_t>(a.heads) + h];
    p[j] = score;
    max = std::max(max, score);
    any = true;
  }
  if (!any) {
    std::fill(p, p + seq, 1.0f / static_cast<float>(seq));
    return false;
  }
  float sum = 0.0f;
  for (int32_t j = 0; j < seq; ++j) {
    if (!query_valid || mask_row[j] == 0) {
      p[j] = 0.0f;
      continue;
    }
    p[j] = std::exp(p[j] - max);
    sum += p[j];
  }
  const float inv = 1.0f / sum;
  for (int32_t j = 0; j < seq; ++j) p[j] *= inv;
  return true;
}

}  // namespace

int32_t MpnetBucket(int32_t relative_position, int32_t num_buckets, int32_t max_distance) {
  int32_t ret = 0;
  int32_t n = -relative_position;
  num_buckets /= 2;
  if (n < 0) ret += num_buckets;
  n = std::abs(n);
  const int32_t max_exact = num_buckets / 2;
  if (n < max_exact) return ret + n;
  // torch: log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact), in
  // float32 (the Python scalars are rounded to float32), truncated towards zero.
  const float ratio = static_cast<float>(n) / static_cast<float>(max_exact);
  const float denom = static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact));
  const float scaled = std::log(ratio) / denom * static_cast<float>(num_buckets - max_exact);
  const int32_t large = std::min(max_exact + static_cast<int32_t>(scaled), num_buckets - 1);
  return ret + large;
}

int32_t DebertaLogBucket(int32_t relative_position, int32_t bucket_size, int32_t max_position) {
  const int32_t mid = bucket_size / 2;
  if (relative_position < mid && relative_position > -mid) return relative_position;  // abs_pos ≤ mid
  const int32_t abs_pos = std::abs(relative_position);
  if (abs_pos <= mid) return relative_position;
  // log_pos = ceil(log(abs_pos / mid) / log(tensor((max_position - 1) / mid)) * (mid - 1)) + mid, float32.
  const float ratio = static_cast<float>(abs_pos) / static_cast<float>(mid);
  const float base = static_cast<float>(static_cast<double>(max_position - 1) / mid);
  const float log_pos = std::ceil(std::log(ratio) / std::log(base) * static_cast<float>(mid - 1)) + static_cast<float>(mid);
  const int32_t sign = relative_position > 0 ? 1 : -1;
  return static_cast<int32_t>(log_pos) * sign;
}

void RelativeAttentionForward(const RelativeAttention& a, const AttentionShape& s, const float* q, const float* k,
                              const float* v, const int32_t* mask, float* ctx, float* probs, ThreadPool& pool,
                              const AttentionQueries* queries) {
  const int32_t seq = s.seq, hd = s.head_dim, heads = s.heads, hidden = heads * hd;
  const bool subset = queries != nullptr;
  const int64_t rows = subset ? queries->count : static_cast<int64_t>(s.batch) * seq;
  const int64_t units = rows * heads;
  const int64_t grain = std::max<int64_t>(1, 4096 / (static_cast<int64_t>(seq) * hd + 1));
  pool.ParallelFor(units, grain, [&](int64_t u0, int64_t u1) {
    std::vector<float> p(static_cast<size_t>(seq));
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t row = u / heads;
      const int32_t h = static_cast<int32_t>(u % heads);
      const int64_t token = subset ? queries->rows[row] : row;
      const int32_t b = static_cast<int32_t>(token / seq), i = static_cast<int32_t>(token % seq);
      const size_t row0 = static_cast<size_t>(b) * seq;
      const float* qi = q + static_cast<size_t>(row) * s.q_stride + static_cast<size_t>(h) * hd;
      RowProbabilities(a, s, qi, k + row0 * s.k_stride, mask + row0, i, h, p.data());
      float* c = ctx + static_cast<size_t>(row) * hidden + static_cast<size_t>(h) * hd;
      std::memset(c, 0, sizeof(float) * hd);
      for (int32_t j = 0; j < seq; ++j) {
        if (p[j] != 0.0f) AxpyF32(p[j], v + (row0 + j) * s.v_stride + static_cast<size_t>(h) * hd, c, hd);
      }
      if (probs != nullptr) {
        std::memcpy(probs + ((static_cast<size_t>(b) * heads + h) * seq + i) * seq, p.data(), sizeof(float) * seq);
      }
    }
  });
}

void RelativeAttentionBackward(const RelativeAttention& a, const AttentionShape& s, const float* qkv, const float* probs,
                               const int32_t* mask, const float* dctx, float* dqkv, ThreadPool& pool, float* dprobs) {
  const int32_t seq = s.seq, hd = s.head_dim, heads = s.heads, hidden = heads * hd;
  const int64_t rows = static_cast<int64_t>(s.batch) * seq;
  for (int64_t r = 0; r < rows; ++r) std::memset(dqkv + r * s.q_stride, 0, sizeof(float) * 3 * hidden);
  const int64_t pairs = static_cast<int64_t>(s.batch) * heads;
  pool.ParallelFor(pairs, 1, [&](int64_t p0, int64_t p1) {
    std::vector<float> dp(static_cast<size_t>(seq));
    for (int64_t pair = p0; pair < p1; ++pair) {
      const int32_t b = static_cast<int32_t>(pair / heads), h = static_cast<int32_t>(pair % heads);
      const size_t row0 = static_cast<size_t>(b) * seq, col = static_cast<size_t>(h) * hd;
      const int32_t* m = mask + row0;
      const float* pp = probs + static_cast<size_t>(pair) * seq * seq;
      for (int32_t i = 0; i < seq; ++i) {
        const float* p = pp + static_cast<size_t>(i) * seq;
        const float* g = dctx + (row0 + i) * hidden + col;
        const bool query_valid = QueryValid(a, m, i);
        bool any_valid = false;
        for (int32_t j = 0; j < seq && !any_valid; ++j) any_valid = query_valid && m[j] != 0;
        double weighted = 0.0;
        for (int32_t j = 0; j < seq; ++j) {
          if (any_valid && m[j] == 0) {
            dp[j] = 0.0f;
            continue;
          }
          const size_t rj = (row0 + j) * s.v_stride;
          AxpyF32(p[j], g, dqkv + rj + 2 * hidden + col, hd);
          dp[j] = DotF32(g, qkv + rj + 2 * hidden + col, hd);
          weighted += static_cast<double>(p[j]) * dp[j];
        }
        if (dprobs != nullptr) std::memcpy(dprobs + (static_cast<size_t>(pair) * seq + i) * seq, dp.data(), sizeof(float) * seq);
        if (!any_valid) continue;  // uniform: independent of the scores
        const float* qi = qkv + (row0 + i) * s.q_stride + col;
        float* dqi = dqkv + (row0 + i) * s.q_stride + col;
        for (int32_t j = 0; j < seq; ++j) {
          if (m[j] == 0) continue;
          const float ds = static_cast<float>(p[j] * (dp[j] - weighted)) * a.scale;
          const float* kj = qkv + (row0 + j) * s.k_stride + hidden + col;
          float* dkj = dqkv + (row0 + j) * s.k_stride + hidden + col;
          const size_t idx = static_cast<size_t>(a.Index(i, j));
          AxpyF32(ds, kj, dqi, hd);
          AxpyF32(ds, qi, dkj, hd);
          if (!a.pos_key.empty()) AxpyF32(ds, a.pos_key.data() + idx * a.width + static_cast<size_t>(h) * a.head_stride, dqi, hd);
          if (!a.pos_query.empty()) {
            AxpyF32(ds, a.pos_query.data() + idx * a.width + static_cast<size_t>(h) * a.head_stride, dkj, hd);
          }
        }
      }
    }
  });
}

}  // namespace bt
