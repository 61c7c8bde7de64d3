// Multi-head attention against a double-precision reference that applies Hugging Face's additive
// finfo.min mask literally; fused-QKV strides; probabilities; thread-count invariance.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/attention.h"

namespace bt {
namespace {

struct Case {
  AttentionShape shape;
  std::vector<float> qkv;  // one buffer, q | k | v side by side per token row (stride 3*hidden)
  std::vector<int32_t> mask;
};

Case MakeCase(int32_t batch, int32_t seq, int32_t heads, int32_t hd, uint32_t seed) {
  const int32_t hidden = heads * hd;
  Case c;
  c.shape = {batch, seq, heads, hd, 3 * hidden, 3 * hidden, 3 * hidden};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  c.qkv.resize(static_cast<size_t>(batch) * seq * 3 * hidden);
  for (float& x : c.qkv) x = dist(rng);
  c.mask.assign(static_cast<size_t>(batch) * seq, 1);
  for (int32_t b = 0; b < batch; ++b) {
    const int32_t len = b == 2 ? 0 : seq - (b * 3) % seq;  // batch 2 fully padded
    for (int32_t j = len; j < seq; ++j) c.mask[static_cast<size_t>(b) * seq + j] = 0;
  }
  return c;
}

void Reference(const Case& c, float scale, std::vector<double>* ctx, std::vector<double>* probs) {
  const AttentionShape& s = c.shape;
  const int32_t hidden = s.heads * s.head_dim;
  ctx->assign(static_cast<size_t>(s.batch) * s.seq * hidden, 0.0);
  probs->assign(static_cast<size_t>(s.batch) * s.heads * s.seq * s.seq, 0.0);
  std::vector<double> sc(s.seq);
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t h = 0; h < s.heads; ++h)
      for (int32_t i = 0; i < s.seq; ++i) {
        const float* q = c.qkv.data() + (static_cast<size_t>(b) * s.seq + i) * s.q_stride + h * s.head_dim;
        // In float, finfo.min + score rounds to finfo.min, which is what makes all-masked rows uniform.
        for (int32_t j = 0; j < s.seq; ++j) {
          const float* k = c.qkv.data() + (static_cast<size_t>(b) * s.seq + j) * s.k_stride + hidden + h * s.head_dim;
          double d = 0;
          for (int32_t t = 0; t < s.head_dim; ++t) d += static_cast<double>(q[t]) * k[t];
          sc[j] = c.mask[static_cast<size_t>(b) * s.seq + j] ? d * scale : -FLT_MAX;
        }
        double max = sc[0], sum = 0;
        for (double v : sc) max = std::max(max, v);
        for (double& v : sc) sum += (v = std::exp(v - max));
        double* prow = probs->data() + ((static_cast<size_t>(b) * s.heads + h) * s.seq + i) * s.seq;
        double* out = ctx->data() + (static_cast<size_t>(b) * s.seq + i) * hidden + h * s.head_dim;
        for (int32_t j = 0; j < s.seq; ++j) {
          prow[j] = sc[j] / sum;
          const float* v = c.qkv.data() + (static_cast<size_t>(b) * s.seq + j) * s.v_stride + 2 * hidden + h * s.head_dim;
          for (int32_t t = 0; t < s.head_dim; ++t) out[t] += prow[j] * v[t];
        }
      }
}

void RunAttention(const Case& c, float scale, std::vector<float>* ctx, std::vector<float>* probs) {
  const AttentionShape& s = c.shape;
  const int32_t hidden = s.heads * s.head_dim;
  ctx->assign(static_cast<size_t>(s.batch) * s.seq * hidden, NAN);
  probs->assign(static_cast<size_t>(s.batch) * s.heads * s.seq * s.seq, NAN);
  std::vector<float> scratch(AttentionScratchFloats(s, DefaultThreadPool()), NAN);
  const float* base = c.qkv.data();
  MultiHeadAttention(s, base, base + hidden, base + 2 * hidden, c.mask.data(), scale, ctx->data(), probs->data(),
                     scratch.data(), DefaultThreadPool());
}

TEST(KernelsAttention, MatchesReference) {
  struct Dims { int32_t batch, seq, heads, hd; };
  for (Dims d : {Dims{1, 1, 1, 1}, Dims{1, 5, 2, 3}, Dims{4, 9, 2, 8}, Dims{3, 17, 4, 16}, Dims{4, 64, 4, 64},
                 Dims{2, 33, 12, 64}}) {
    const Case c = MakeCase(d.batch, d.seq, d.heads, d.hd, 7 + d.seq);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d.hd));
    std::vector<double> want_ctx, want_probs;
    Reference(c, scale, &want_ctx, &want_probs);
    std::vector<float> ctx, probs;
    RunAttention(c, scale, &ctx, &probs);
    for (size_t i = 0; i < ctx.size(); ++i)
      ASSERT_NEAR(ctx[i], want_ctx[i], 2e-6) << "seq=" << d.seq << " i=" << i;
    for (size_t i = 0; i < probs.size(); ++i) {
      if (want_probs[i] == 0.0) {
        ASSERT_EQ(probs[i], 0.0f) << "masked key must get exactly 0, i=" << i;
      } else {
        ASSERT_NEAR(probs[i], want_probs[i], 1e-6) << "seq=" << d.seq << " i=" << i;
      }
    }
  }
}

TEST(KernelsAttention, WithoutProbsAndThreadInvariant) {
  const Case c = MakeCase(5, 40, 6, 32, 99);
  const int32_t hidden = 6 * 32;
  std::vector<float> first;
  for (int threads : {1, 2, 3}) {
    SetNumThreads(threads);
    std::vector<float> ctx(static_cast<size_t>(5) * 40 * hidden, NAN);
    std::vector<float> scratch(AttentionScratchFloats(c.shape, DefaultThreadPool()));
    MultiHeadAttention(c.shape, c.qkv.data(), c.qkv.data() + hidden, c.qkv.data() + 2 * hidden, c.mask.data(),
                       0.125f, ctx.data(), nullptr, scratch.data(), DefaultThreadPool());
    if (first.empty()) {
      first = ctx;
    } else {
      ASSERT_EQ(0, std::memcmp(first.data(), ctx.data(), sizeof(float) * ctx.size())) << "threads=" << threads;
    }
  }
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
