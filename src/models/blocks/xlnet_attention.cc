#include "models/blocks/xlnet_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/dot.h"

namespace bt {
namespace {

bool Masked(const int32_t* mask, int32_t i, int32_t j) { return mask[j] == 0 && i != j; }

int32_t Segment(const int32_t* segments, int32_t j) { return segments != nullptr ? segments[j] : 0; }

// One query row of one head: its scores over the sequence's keys (row, seq floats; masked -inf),
// with q + r_w, q + r_r, q + r_s in qb (3 × hd floats of scratch).
void ScoreRow(const AttentionShape& s, const XlnetAttentionWeights& w, int32_t head, const float* q, int32_t i,
              const float* k, const float* kr, const int32_t* mask, const int32_t* segments, float scale,
              float* qb, float* row) {
  const int32_t hd = s.head_dim, hidden = s.heads * hd, off = head * hd;
  float* qw = qb;
  float* qr = qb + hd;
  float* qs = qb + 2 * hd;
  for (int32_t d = 0; d < hd; ++d) {
    qw[d] = q[d] + w.r_w_bias[off + d];
    qr[d] = q[d] + w.r_r_bias[off + d];
    qs[d] = q[d] + w.r_s_bias[off + d];
  }
  const float ef_same = DotF32(qs, w.seg_embed.data() + off, hd);
  const float ef_diff = DotF32(qs, w.seg_embed.data() + hidden + off, hd);
  const int32_t si = Segment(segments, i);
  for (int32_t j = 0; j < s.seq; ++j) {
    if (Masked(mask, i, j)) {
      row[j] = -std::numeric_limits<float>::infinity();
      continue;
    }
    const float ac = DotF32(qw, k + static_cast<size_t>(j) * s.k_stride, hd);
    const float bd = DotF32(qr, kr + static_cast<size_t>(s.seq - i + j) * hidden + off, hd);
    const float ef = Segment(segments, j) != si ? ef_diff : ef_same;
    row[j] = (ac + bd + ef) * scale;
  }
}

void Softmax(float* row, int32_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int32_t j = 0; j < n; ++j) max = std::max(max, row[j]);
  double sum = 0.0;
  for (int32_t j = 0; j < n; ++j) {
    row[j] = row[j] == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(row[j] - max);
    sum += row[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int32_t j = 0; j < n; ++j) row[j] *= inv;
}

}  // namespace

void XlnetPositionEmbeddings(int32_t seq, int32_t hidden, int32_t clamp_len, float* out) {
  const int32_t half = hidden / 2;
  std::vector<float> inv_freq(static_cast<size_t>(half));
  for (int32_t i = 0; i < half; ++i) {
    // inv_freq = 1 / 10000 ** (arange(0, d_model, 2.0) / d_model), float32.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(hidden);
    inv_freq[i] = 1.0f / static_cast<float>(std::pow(10000.0, static_cast<double>(exponent)));
  }
  for (int32_t r = 0; r < 2 * seq; ++r) {
    int32_t distance = seq - r;
    if (clamp_len > 0) distance = std::clamp(distance, -clamp_len, clamp_len);
    float* row = out + static_cast<size_t>(r) * hidden;
    for (int32_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(static_cast<float>(distance) * inv_freq[i]);
      row[i] = static_cast<float>(std::sin(angle));
      row[half + i] = static_cast<float>(std::cos(angle));
    }
  }
}

void XlnetAttention(const AttentionShape& s, const XlnetAttentionWeights& w, const float* q, const float* k,
                    const float* v, const float* kr, const int32_t* mask, const int32_t* segments, float scale,
                    float* ctx, float* probs, const AttentionQueries* queries, ThreadPool& pool) {
  const int32_t hd = s.head_dim, hidden = s.heads * hd, seq = s.seq;
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.heads;
  pool.ParallelFor(pairs, 1, [&](int64_t p0, int64_t p1) {
    std::vector<float> row(static_cast<size_t>(seq)), qb(static_cast<size_t>(3 * hd));
    for (int64_t pair = p0; pair < p1; ++pair) {
      const int32_t b = static_cast<int32_t>(pair / s.heads), head = static_cast<int32_t>(pair % s.heads);
      const size_t row0 = static_cast<size_t>(b) * seq, col = static_cast<size_t>(head) * hd;
      const float* kb = k + row0 * s.k_stride + col;
      const float* vb = v + row0 * s.v_stride + col;
      // The query rows of this sequence: every position, or the subset's run.
      int32_t first = 0, count = seq;
      if (queries != nullptr) {
        first = static_cast<int32_t>(std::lower_bound(queries->rows, queries->rows + queries->count,
                                                      static_cast<int32_t>(row0)) - queries->rows);
        const int32_t last = static_cast<int32_t>(std::lower_bound(queries->rows, queries->rows + queries->count,
                                                                   static_cast<int32_t>(row0 + seq)) - queries->rows);
        count = last - first;
      }
      for (int32_t n = 0; n < count; ++n) {
        const int32_t i = queries != nullptr ? queries->rows[first + n] - static_cast<int32_t>(row0) : n;
        const size_t qrow = queries != nullptr ? static_cast<size_t>(first + n) : row0 + i;
        ScoreRow(s, w, head, q + qrow * s.q_stride + col, i, kb, kr, mask + row0,
                 segments != nullptr ? segments + row0 : nullptr, scale, qb.data(), row.data());
        Softmax(row.data(), seq);
        float* out = ctx + qrow * hidden + col;
        std::memset(out, 0, sizeof(float) * hd);
        for (int32_t j = 0; j < seq; ++j) {
          if (row[j] != 0.0f) AxpyF32(row[j], vb + static_cast<size_t>(j) * s.v_stride, out, hd);
        }
        if (probs != nullptr) {
          std::memcpy(probs + (static_cast<size_t>(pair) * seq + i) * seq, row.data(), sizeof(float) * seq);
        }
      }
    }
  });
}

void XlnetAttentionBackward(const AttentionShape& s, const XlnetAttentionWeights& w, const float* qkv,
                            const float* kr, const float* probs, const int32_t* mask, const int32_t* segments,
                            float scale, const float* dctx, float* dqkv, ThreadPool& pool, float* dprobs) {
  const int32_t hd = s.head_dim, hidden = s.heads * hd, seq = s.seq;
  const int64_t rows = static_cast<int64_t>(s.batch) * seq;
  for (int64_t r = 0; r < rows; ++r) std::memset(dqkv + r * s.q_stride, 0, sizeof(float) * 3 * hidden);
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.heads;
  pool.ParallelFor(pairs, 1, [&](int64_t p0, int64_t p1) {
    std::vector<float> dp(static_cast<size_t>(seq)), qw(static_cast<size_t>(hd));
    for (int64_t pair = p0; pair < p1; ++pair) {
      const int32_t b = static_cast<int32_t>(pair / s.heads), head = static_cast<int32_t>(pair % s.heads);
      const size_t row0 = static_cast<size_t>(b) * seq, col = static_cast<size_t>(head) * hd;
      const float* base = qkv + row0 * s.q_stride + col;
      float* dbase = dqkv + row0 * s.q_stride + col;
      const int32_t* m = mask + row0;
      const int32_t* seg = segments != nullptr ? segments + row0 : nullptr;
      for (int32_t i = 0; i < seq; ++i) {
        const float* p = probs + (static_cast<size_t>(pair) * seq + i) * seq;
        const float* g = dctx + (row0 + i) * hidden + col;
        const float* qi = base + static_cast<size_t>(i) * s.q_stride;
        float* dqi = dbase + static_cast<size_t>(i) * s.q_stride;
        double weighted = 0.0;
        for (int32_t j = 0; j < seq; ++j) {
          if (Masked(m, i, j)) {
            dp[j] = 0.0f;
            continue;
          }
          const float* vj = base + static_cast<size_t>(j) * s.q_stride + 2 * hidden;
          AxpyF32(p[j], g, dbase + static_cast<size_t>(j) * s.q_stride + 2 * hidden, hd);
          dp[j] = DotF32(g, vj, hd);
          weighted += static_cast<double>(p[j]) * dp[j];
        }
        if (dprobs != nullptr) std::memcpy(dprobs + (static_cast<size_t>(pair) * seq + i) * seq, dp.data(), sizeof(float) * seq);
        for (int32_t d = 0; d < hd; ++d) qw[d] = qi[d] + w.r_w_bias[col + d];
        const int32_t si = Segment(seg, i);
        for (int32_t j = 0; j < seq; ++j) {
          if (Masked(m, i, j)) continue;
          const float ds = static_cast<float>(p[j] * (dp[j] - weighted)) * scale;
          if (ds == 0.0f) continue;
          const float* kj = base + static_cast<size_t>(j) * s.q_stride + hidden;
          // d score / d q = k_j + k_r[seq - i + j] + seg[s_i != s_j]; d score / d k_j = q_i + r_w.
          AxpyF32(ds, kj, dqi, hd);
          AxpyF32(ds, kr + static_cast<size_t>(seq - i + j) * hidden + col, dqi, hd);
          AxpyF32(ds, w.seg_embed.data() + (Segment(seg, j) != si ? hidden : 0) + col, dqi, hd);
          AxpyF32(ds, qw.data(), dbase + static_cast<size_t>(j) * s.q_stride + hidden, hd);
        }
      }
    }
  });
}

}  // namespace bt
