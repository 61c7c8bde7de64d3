// Multi-head self-attention, one (batch, head) pair at a time, straight from the token-major
// q/k/v buffers: the head's valid keys and values are packed into the GEMM microkernel's 8-wide
// panels (K transposed on the way), then S = Q·K^T and ctx = softmax(S)·V run 4 query rows at a
// time on the f32 ppmm kernel. Padded keys are skipped entirely: their probability is written as
// exactly 0 and they never enter the dot products or the weighted sum of values.
#include <algorithm>
#include <cstring>

#include "kernels/attention.h"
#include "kernels/dot.h"
#include "kernels/gemm_internal.h"
#include "kernels/norm.h"
#include "kernels/vmath.h"

namespace bt {
namespace {

constexpr int32_t kMR = kGemmMR, kNR = kGemmNR;

int32_t RoundUp8(int32_t n) { return (n + kNR - 1) / kNR * kNR; }

// Per worker slot, for seq keys and head_dim d: K panels (round8(seq) x d), V panels (round8(d) x
// seq), the packed Q and P tiles (4 x d, 4 x seq), the score and context tiles (4 x round8(seq),
// 4 x round8(d)) and the valid-key list (seq).
struct SlotLayout {
  int64_t k_panels, v_panels, q_tile, p_tile, s_tile, c_tile, valid, total;
  explicit SlotLayout(const AttentionShape& s) {
    const int64_t seq8 = RoundUp8(s.seq), d8 = RoundUp8(s.head_dim);
    k_panels = 0;
    v_panels = k_panels + seq8 * s.head_dim;
    q_tile = v_panels + d8 * s.seq;
    p_tile = q_tile + kMR * static_cast<int64_t>(s.head_dim);
    s_tile = p_tile + kMR * static_cast<int64_t>(s.seq);
    c_tile = s_tile + kMR * seq8;
    valid = c_tile + kMR * d8;
    total = valid + 2 * static_cast<int64_t>(s.seq) + 16;  // valid keys, then a subset's positions
  }
};

// One (b, h) pair as two small GEMMs on the ppmm microkernel: S = Q·K^T over the valid keys
// (K packed as 8-key panels), softmax per row, then ctx = P·V (V packed as 8-dim panels).
// nq query rows at q (row stride q_stride) give nq ctx rows.
// Hugging Face's finfo.min mask on every key of a row: uniform weights over all seq keys.
void UniformRow(const AttentionShape& s, const float* v, float* out, float* prow) {
  const float p = 1.0f / static_cast<float>(s.seq);
  std::memset(out, 0, sizeof(float) * s.head_dim);
  for (int32_t j = 0; j < s.seq; ++j) AxpyF32(p, v + static_cast<size_t>(j) * s.v_stride, out, s.head_dim);
  if (prow != nullptr) std::fill(prow, prow + s.seq, p);
}

// One K^T panel of 8 keys (rows[j]: key j's hd values): dst[d*8 + j] = rows[j][d].
void PackKeyPanel(const float* const rows[kNR], int32_t hd, float* dst) {
  using vmath::v4f;
  int32_t d = 0;
  for (; d + 4 <= hd; d += 4, dst += 4 * kNR) {
    const v4f a0 = vmath::Load(rows[0] + d), a1 = vmath::Load(rows[1] + d);
    const v4f a2 = vmath::Load(rows[2] + d), a3 = vmath::Load(rows[3] + d);
    const v4f b0 = vmath::Load(rows[4] + d), b1 = vmath::Load(rows[5] + d);
    const v4f b2 = vmath::Load(rows[6] + d), b3 = vmath::Load(rows[7] + d);
    v4f ta[4], tb[4];  // keys 0-3 and 4-7, dims d..d+3
    vmath::Transpose4x4(a0, a1, a2, a3, ta);
    vmath::Transpose4x4(b0, b1, b2, b3, tb);
    for (int i = 0; i < 4; ++i) {
      vmath::Store(dst + 8 * i, ta[i]);
      vmath::Store(dst + 8 * i + 4, tb[i]);
    }
  }
  for (; d < hd; ++d, dst += kNR) {
    for (int32_t j = 0; j < kNR; ++j) dst[j] = rows[j][d];
  }
}

// qpos: null (query row i is position i) or the position of each of the nq query rows (a subset).
void AttendHead(const AttentionShape& s, const float* q, int32_t q_stride, int32_t nq, const int32_t* qpos,
                const float* k, const float* v, const int32_t* valid, int32_t nv, float scale, float* ctx,
                int32_t ctx_stride, float* probs, float* slot, const SlotLayout& L) {
  const int32_t seq = s.seq, hd = s.head_dim;
  if (nv == 0) {
    for (int32_t i = 0; i < nq; ++i) {
      UniformRow(s, v, ctx + static_cast<size_t>(i) * ctx_stride, probs != nullptr ? probs + static_cast<size_t>(i) * seq : nullptr);
    }
    return;
  }
  const F32PpmmUkernelFn ppmm = BestF32PpmmUkernel();
  const F32PackA4Fn pack_a = BestF32PackA4();
  const int32_t nv8 = RoundUp8(nv), hd8 = RoundUp8(hd);
  float* kp = slot + L.k_panels;
  float* vp = slot + L.v_panels;
  float* qt = slot + L.q_tile;
  float* pt = slot + L.p_tile;
  float* st = slot + L.s_tile;
  float* ct = slot + L.c_tile;
  // K^T panels: panel p holds keys valid[8p..8p+7] as columns, kp[p*hd*8 + d*8 + j]; padding keys 0.
  for (int32_t p = 0; p < nv8 / kNR; ++p) {
    float* dst = kp + static_cast<size_t>(p) * hd * kNR;
    if (p * kNR + kNR <= nv) {  // 8 keys: 4x4 transposes, 4 dims at a time
      const float* rows[kNR];
      for (int32_t j = 0; j < kNR; ++j) rows[j] = k + static_cast<size_t>(valid[p * kNR + j]) * s.k_stride;
      PackKeyPanel(rows, hd, dst);
      continue;
    }
    for (int32_t j = 0; j < kNR; ++j) {
      const int32_t t = p * kNR + j;
      if (t < nv) {
        const float* kt = k + static_cast<size_t>(valid[t]) * s.k_stride;
        for (int32_t d = 0; d < hd; ++d) dst[d * kNR + j] = kt[d];
      } else {
        for (int32_t d = 0; d < hd; ++d) dst[d * kNR + j] = 0.0f;
      }
    }
  }
  // V panels: panel p holds dims 8p..8p+7 of every valid key, vp[p*nv*8 + t*8 + j]; padding dims 0.
  for (int32_t p = 0; p < hd8 / kNR; ++p) {
    float* dst = vp + static_cast<size_t>(p) * nv * kNR;
    const int32_t d0 = p * kNR, width = std::min(kNR, hd - d0);
    if (width == kNR) {
      for (int32_t t = 0; t < nv; ++t) {
        const float* vt = v + static_cast<size_t>(valid[t]) * s.v_stride + d0;
        vmath::Store(dst + t * kNR, vmath::Load(vt));
        vmath::Store(dst + t * kNR + 4, vmath::Load(vt + 4));
      }
      continue;
    }
    for (int32_t t = 0; t < nv; ++t) {
      const float* vt = v + static_cast<size_t>(valid[t]) * s.v_stride + d0;
      for (int32_t j = 0; j < width; ++j) dst[t * kNR + j] = vt[j];
      for (int32_t j = width; j < kNR; ++j) dst[t * kNR + j] = 0.0f;
    }
  }
  const auto position = [&](int32_t i) { return qpos != nullptr ? qpos[i] : i; };
  // The valid keys within a window [lo, hi] of positions: indices [first, last) of `valid`.
  const auto key_range = [&](int32_t lo, int32_t hi, int32_t* first, int32_t* last) {
    *first = static_cast<int32_t>(std::lower_bound(valid, valid + nv, lo) - valid);
    *last = static_cast<int32_t>(std::upper_bound(valid, valid + nv, hi) - valid);
  };
  for (int32_t i0 = 0; i0 < nq; i0 += kMR) {
    const size_t mr = std::min(kMR, nq - i0);
    // Keys this tile scores: all valid ones, or (windowed) the 8-key panels covering the tile's windows.
    int32_t t0 = 0, t1 = nv8;
    if (s.window > 0) {
      key_range(position(i0) - s.window, position(i0 + static_cast<int32_t>(mr) - 1) + s.window, &t0, &t1);
      if (t0 >= t1) {  // no valid key in any of the tile's windows: every row uniform (no empty GEMM)
        for (size_t r = 0; r < mr; ++r) {
          UniformRow(s, v, ctx + (static_cast<size_t>(i0) + r) * ctx_stride,
                     probs != nullptr ? probs + (static_cast<size_t>(i0) + r) * seq : nullptr);
        }
        continue;
      }
      t0 = t0 / kNR * kNR;  // whole 8-key panels: at least one key, t0 < nv
      t1 = std::min(nv8, RoundUp8(t1));
    }
    const int32_t width = t1 - t0;  // a multiple of 8
    pack_a(mr, hd, q + static_cast<size_t>(i0) * q_stride, q_stride, qt);
    std::fill(st, st + kMR * nv8, 0.0f);
    ppmm(mr, width, hd, qt, kp + static_cast<size_t>(t0) * hd, static_cast<size_t>(hd) * kNR, st + t0, nv8);
    if (s.window == 0) {  // every row sees all nv keys: the fused softmax writes P packed
      float inv[kMR];
      ScaledSoftmaxPack4(mr, nv, scale, st, nv8, pt, inv);
      for (size_t r = 0; r < mr && probs != nullptr; ++r) {
        float* prow = probs + (static_cast<size_t>(i0) + r) * seq;
        const float* e = st + r * nv8;
        std::fill(prow, prow + seq, 0.0f);
        for (int32_t t = 0; t < nv; ++t) prow[valid[t]] = e[t] * inv[r];
      }
      std::fill(ct, ct + kMR * hd8, 0.0f);
      ppmm(mr, hd8, nv, pt, vp, static_cast<size_t>(nv) * kNR, ct, hd8);
      for (size_t r = 0; r < mr; ++r) {
        std::memcpy(ctx + (static_cast<size_t>(i0) + r) * ctx_stride, ct + r * hd8, sizeof(float) * hd);
      }
      continue;
    }
    bool uniform[kMR] = {};
    for (size_t r = 0; r < mr; ++r) {
      float* row = st + r * nv8;
      int32_t a = 0, b = nv;  // this row's keys
      if (s.window > 0) {
        const int32_t p = position(i0 + static_cast<int32_t>(r));
        key_range(p - s.window, p + s.window, &a, &b);
        uniform[r] = a >= b;
      }
      float* prow = probs != nullptr ? probs + (static_cast<size_t>(i0) + r) * seq : nullptr;
      if (uniform[r]) {
        std::fill(row + t0, row + t1, 0.0f);
        continue;
      }
      for (int32_t t = a; t < b; ++t) row[t] *= scale;
      SoftmaxRow(row + a, b - a);
      std::fill(row + t0, row + a, 0.0f);
      std::fill(row + b, row + t1, 0.0f);
      if (prow != nullptr) {
        std::fill(prow, prow + seq, 0.0f);
        for (int32_t t = a; t < b; ++t) prow[valid[t]] = row[t];
      }
    }
    const int32_t kc = std::min(width, nv - t0);
    pack_a(mr, kc, st + t0, nv8, pt);
    std::fill(ct, ct + kMR * hd8, 0.0f);
    ppmm(mr, hd8, kc, pt, vp + static_cast<size_t>(t0) * kNR, static_cast<size_t>(nv) * kNR, ct, hd8);
    for (size_t r = 0; r < mr; ++r) {
      float* out = ctx + (static_cast<size_t>(i0) + r) * ctx_stride;
      if (uniform[r]) {
        UniformRow(s, v, out, probs != nullptr ? probs + (static_cast<size_t>(i0) + r) * seq : nullptr);
      } else {
        std::memcpy(out, ct + r * hd8, sizeof(float) * hd);
      }
    }
  }
}

}  // namespace

int64_t AttentionScratchFloats(const AttentionShape& shape, const ThreadPool& pool) {
  return SlotLayout(shape).total * std::max(1, pool.num_threads());
}

void MultiHeadAttention(const AttentionShape& s, const float* q, const float* k, const float* v,
                        const int32_t* mask, float scale, float* ctx, float* probs, float* scratch,
                        ThreadPool& pool, const AttentionQueries* queries) {
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.heads;
  if (pairs <= 0 || s.seq <= 0) return;
  const int32_t hidden = s.heads * s.head_dim;
  const int64_t slots = std::min<int64_t>(std::max(1, pool.num_threads()), pairs);
  // Work is split into `slots` fixed ranges of pairs, each with its own scratch; a pair's result
  // does not depend on the split, so output is identical for any thread count.
  const SlotLayout layout(s);
  pool.ParallelFor(slots, 1, [&](int64_t slot0, int64_t slot1) {
    for (int64_t slot = slot0; slot < slot1; ++slot) {
      float* slot_floats = scratch + slot * layout.total;
      int32_t* valid = reinterpret_cast<int32_t*>(slot_floats + layout.valid);
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
        const float* kb = k + row0 * s.k_stride + col;
        const float* vb = v + row0 * s.v_stride + col;
        if (queries == nullptr) {
          AttendHead(s, q + row0 * s.q_stride + col, s.q_stride, s.seq, nullptr, kb, vb, valid, num_valid, scale,
                     ctx + row0 * hidden + col, hidden,
                     probs != nullptr ? probs + static_cast<size_t>(pair) * s.seq * s.seq : nullptr, slot_floats,
                     layout);
          continue;
        }
        // This sequence's query rows: a run of the compact q (and ctx) rows.
        const int32_t* first = std::lower_bound(queries->rows, queries->rows + queries->count, static_cast<int32_t>(row0));
        const int32_t* last = std::lower_bound(first, queries->rows + queries->count, static_cast<int32_t>(row0 + s.seq));
        const int32_t nq = static_cast<int32_t>(last - first);
        if (nq == 0) continue;
        const size_t i0 = static_cast<size_t>(first - queries->rows);
        int32_t* qpos = valid + s.seq;  // the subset's positions in this sequence (windowed layers)
        if (s.window > 0) {
          for (int32_t i = 0; i < nq; ++i) qpos[i] = first[i] - static_cast<int32_t>(row0);
        }
        AttendHead(s, q + i0 * s.q_stride + col, s.q_stride, nq, s.window > 0 ? qpos : nullptr, kb, vb, valid,
                   num_valid, scale, ctx + i0 * hidden + col, hidden, nullptr, slot_floats, layout);
      }
    }
  });
}

}  // namespace bt
