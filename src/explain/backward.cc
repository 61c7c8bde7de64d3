#include "explain/backward.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace bt {

void LinearBackward(const PackedLinear& wt, const float* dy, int32_t m, bool accumulate, float* dx, ThreadPool& pool) {
  LinearForward(wt, dy, m, Activation::kNone, accumulate ? dx : nullptr, dx, pool);
}

void LayerNormBackward(const float* x, const float* gamma, float eps, const float* dy, int32_t rows, int32_t n,
                       float* dx, ThreadPool& pool) {
  pool.ParallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * n;
      const float* gr = dy + r * n;
      double mean = 0.0, var = 0.0;
      for (int32_t i = 0; i < n; ++i) mean += xr[i];
      mean /= n;
      for (int32_t i = 0; i < n; ++i) var += (xr[i] - mean) * (xr[i] - mean);
      const double rstd = 1.0 / std::sqrt(var / n + eps);
      double g_mean = 0.0, gx_mean = 0.0;
      for (int32_t i = 0; i < n; ++i) {
        const double g = static_cast<double>(gr[i]) * gamma[i];
        g_mean += g;
        gx_mean += g * (xr[i] - mean) * rstd;
      }
      g_mean /= n;
      gx_mean /= n;
      float* out = dx + r * n;
      for (int32_t i = 0; i < n; ++i) {
        const double g = static_cast<double>(gr[i]) * gamma[i];
        out[i] = static_cast<float>(rstd * (g - g_mean - (xr[i] - mean) * rstd * gx_mean));
      }
    }
  });
}

void GeluErfBackward(const float* pre, float* grad, int64_t n) {
  constexpr double kInvSqrt2 = 0.70710678118654752, kInvSqrt2Pi = 0.39894228040143268;
  for (int64_t i = 0; i < n; ++i) {
    const double x = pre[i];
    grad[i] = static_cast<float>(grad[i] * (0.5 * (1.0 + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x)));
  }
}

void GeluTanhBackward(const float* pre, float* grad, int64_t n) {
  constexpr double kBeta = 0.79788456080286536, kKappa = 0.044715;
  for (int64_t i = 0; i < n; ++i) {
    const double x = pre[i];
    const double t = std::tanh(kBeta * (x + kKappa * x * x * x));
    grad[i] = static_cast<float>(grad[i] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * kBeta * (1.0 + 3.0 * kKappa * x * x)));
  }
}

void TanhBackward(const float* pre, float* grad, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double t = std::tanh(static_cast<double>(pre[i]));
    grad[i] = static_cast<float>(grad[i] * (1.0 - t * t));
  }
}

void ReluBackward(const float* pre, float* grad, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad[i] = pre[i] > 0.0f ? grad[i] : 0.0f;
}

void ActivationBackward(Activation act, const float* pre, float* grad, int64_t n) {
  switch (act) {
    case Activation::kNone: return;
    case Activation::kGeluErf: GeluErfBackward(pre, grad, n); return;
    case Activation::kGeluTanh: GeluTanhBackward(pre, grad, n); return;
    case Activation::kTanh: TanhBackward(pre, grad, n); return;
    case Activation::kRelu: ReluBackward(pre, grad, n); return;
  }
}

namespace {

float Dot(const float* a, const float* b, int32_t n) {
  float s = 0.0f;
  for (int32_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void Axpy(float alpha, const float* x, float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

// One (batch, head) pair; pointers at its first row and column. dp: seq floats of scratch.
// dprobs: null or the pair's [seq, seq] gradient w.r.t. the probabilities.
void AttendHeadBackward(const AttentionShape& s, const float* q, const float* k, const float* v, const float* probs,
                        const int32_t* mask, float scale, const float* dctx, int32_t ctx_stride, float* dq, float* dk,
                        float* dv, float* dp, float* dprobs) {
  const int32_t seq = s.seq, hd = s.head_dim;
  bool any_valid = false;
  for (int32_t j = 0; j < seq; ++j) any_valid = any_valid || mask[j] != 0;
  for (int32_t i = 0; i < seq; ++i) {
    const float* p = probs + static_cast<size_t>(i) * seq;
    const float* g = dctx + static_cast<size_t>(i) * ctx_stride;
    double weighted = 0.0;
    for (int32_t j = 0; j < seq; ++j) {
      if (any_valid && mask[j] == 0) {
        dp[j] = 0.0f;
        continue;
      }
      Axpy(p[j], g, dv + static_cast<size_t>(j) * s.v_stride, hd);
      dp[j] = Dot(g, v + static_cast<size_t>(j) * s.v_stride, hd);
      weighted += static_cast<double>(p[j]) * dp[j];
    }
    if (dprobs != nullptr) std::memcpy(dprobs + static_cast<size_t>(i) * seq, dp, sizeof(float) * seq);
    if (!any_valid) continue;  // uniform weights: no dependence on the scores
    for (int32_t j = 0; j < seq; ++j) {
      if (mask[j] == 0) continue;
      const float ds = static_cast<float>(p[j] * (dp[j] - weighted)) * scale;
      Axpy(ds, k + static_cast<size_t>(j) * s.k_stride, dq + static_cast<size_t>(i) * s.q_stride, hd);
      Axpy(ds, q + static_cast<size_t>(i) * s.q_stride, dk + static_cast<size_t>(j) * s.k_stride, hd);
    }
  }
}

}  // namespace

void AttentionBackward(const AttentionShape& s, const float* qkv, const float* probs, const int32_t* mask, float scale,
                       const float* dctx, float* dqkv, ThreadPool& pool, float* dprobs) {
  const int32_t hidden = s.heads * s.head_dim;
  const int64_t rows = static_cast<int64_t>(s.batch) * s.seq;
  for (int64_t r = 0; r < rows; ++r) std::memset(dqkv + r * s.q_stride, 0, sizeof(float) * 3 * hidden);
  const int64_t pairs = static_cast<int64_t>(s.batch) * s.heads;
  pool.ParallelFor(pairs, 1, [&](int64_t p0, int64_t p1) {
    std::vector<float> dp(static_cast<size_t>(s.seq));
    for (int64_t pair = p0; pair < p1; ++pair) {
      const int64_t b = pair / s.heads, h = pair % s.heads;
      const size_t row0 = static_cast<size_t>(b) * s.seq, col = static_cast<size_t>(h) * s.head_dim;
      const float* base = qkv + row0 * s.q_stride + col;
      float* dbase = dqkv + row0 * s.q_stride + col;
      AttendHeadBackward(s, base, base + hidden, base + 2 * hidden, probs + static_cast<size_t>(pair) * s.seq * s.seq,
                         mask + row0, scale, dctx + row0 * hidden + col, hidden, dbase, dbase + hidden,
                         dbase + 2 * hidden, dp.data(),
                         dprobs == nullptr ? nullptr : dprobs + static_cast<size_t>(pair) * s.seq * s.seq);
    }
  });
}

void EmbeddingSumBackward(const float* dsum, int64_t values, float* dword) {
  if (dword != dsum) std::memcpy(dword, dsum, sizeof(float) * values);
}

}  // namespace bt
