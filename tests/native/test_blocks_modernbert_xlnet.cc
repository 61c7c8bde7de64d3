// The blocks ModernBERT and XLNet add (rotary, sliding-window attention, GeGLU, pre-norm layers, XLNet's
// relative attention), on small random weights: forwards against plain-loop statements of their
// formulas (in double), backwards against central finite differences of the same float32 forward
// (eighth-order stencil, objective a fixed random weighting of the outputs), and a pre-norm layer's
// query subset bit for bit the full layer's rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "kernels/activation.h"
#include "models/backward_weights.h"
#include "models/blocks/geglu.h"
#include "models/blocks/rotary.h"
#include "models/blocks/self_attention.h"
#include "models/blocks/xlnet_attention.h"
#include "models/encoder_layer.h"

namespace bt {
namespace {

constexpr int32_t kBatch = 2, kSeq = 7, kM = kBatch * kSeq, kH = 8, kHeads = 2, kI = 6;

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

double Objective(const float* y, const std::vector<float>& c) {
  double s = 0.0;
  for (size_t i = 0; i < c.size(); ++i) s += static_cast<double>(c[i]) * y[i];
  return s;
}

// ‖fd − analytic‖ / ‖analytic‖ over every 2nd coordinate (eighth-order central stencil, step 1e-2).
double GradientError(float* p, const float* analytic, size_t n, const std::function<double()>& f) {
  const double offsets[8] = {1, -1, 2, -2, 3, -3, 4, -4};
  const double weights[8] = {4.0 / 5, -4.0 / 5, -1.0 / 5, 1.0 / 5, 4.0 / 105, -4.0 / 105, -1.0 / 280, 1.0 / 280};
  const double h = 1e-2;
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; i += 2) {
    const float saved = p[i];
    double d = 0.0;
    for (int j = 0; j < 8; ++j) {
      p[i] = static_cast<float>(saved + offsets[j] * h);
      d += weights[j] * f();
    }
    p[i] = saved;
    d /= h;
    num += (d - analytic[i]) * (d - analytic[i]);
    den += static_cast<double>(analytic[i]) * analytic[i];
  }
  EXPECT_GT(den, 0.0);
  return std::sqrt(num / den);
}

std::vector<int32_t> Mask() {  // row 1 padded from position 2 (windowed queries at 6 see no valid key)
  std::vector<int32_t> mask(kM, 1);
  for (int32_t t = 2; t < kSeq; ++t) mask[kSeq + t] = 0;
  return mask;
}

TEST(BlocksModern, RotaryMatchesTheFormulaAndInvertsExactly) {
  const int32_t hd = 4;
  auto table = MakeRotaryTable(10000.0, hd, 16);
  std::vector<float> x = Random(size_t(kM) * kH, 1), y(x);
  ApplyRotary(*table, y.data(), kH, kM, kH / hd, nullptr, kSeq, false);
  for (int32_t r = 0; r < kM; ++r) {
    const int32_t p = r % kSeq;
    for (int32_t h = 0; h < kH / hd; ++h) {
      for (int32_t i = 0; i < hd / 2; ++i) {
        const double theta = p * std::pow(10000.0, -2.0 * i / hd);
        const float a = x[r * kH + h * hd + i], b = x[r * kH + h * hd + i + hd / 2];
        EXPECT_NEAR(y[r * kH + h * hd + i], a * std::cos(theta) - b * std::sin(theta), 1e-5);
        EXPECT_NEAR(y[r * kH + h * hd + i + hd / 2], b * std::cos(theta) + a * std::sin(theta), 1e-5);
      }
    }
  }
  ApplyRotary(*table, y.data(), kH, kM, kH / hd, nullptr, kSeq, true);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], x[i], 1e-5);
}

// The windowed kernel against softmax over {j : mask_j, |i − j| ≤ w} in double; a query with no such key
// gets uniform weights over every key (Hugging Face's all-finfo.min row).
TEST(BlocksModern, SlidingWindowAttentionMatchesPlainLoops) {
  const int32_t hd = kH / kHeads, window = 2;
  const std::vector<int32_t> mask = Mask();
  std::vector<float> qkv = Random(size_t(kM) * 3 * kH, 3);
  AttentionShape shape{kBatch, kSeq, kHeads, hd, 3 * kH, 3 * kH, 3 * kH};
  shape.window = window;
  std::vector<float> scratch(AttentionScratchFloats(shape, DefaultThreadPool()));
  std::vector<float> ctx(size_t(kM) * kH), probs(size_t(kBatch) * kHeads * kSeq * kSeq);
  const float scale = 0.5f;
  MultiHeadAttention(shape, qkv.data(), qkv.data() + kH, qkv.data() + 2 * kH, mask.data(), scale, ctx.data(),
                     probs.data(), scratch.data(), DefaultThreadPool());
  for (int32_t b = 0; b < kBatch; ++b) {
    for (int32_t h = 0; h < kHeads; ++h) {
      for (int32_t i = 0; i < kSeq; ++i) {
        std::vector<double> p(kSeq, 0.0);
        double max = -1e300, sum = 0.0;
        bool any = false;
        for (int32_t j = 0; j < kSeq; ++j) {
          if (!mask[b * kSeq + j] || std::abs(i - j) > window) continue;
          double s = 0.0;
          for (int32_t d = 0; d < hd; ++d) {
            s += double(qkv[(b * kSeq + i) * 3 * kH + h * hd + d]) * qkv[(b * kSeq + j) * 3 * kH + kH + h * hd + d];
          }
          p[j] = s * scale;
          max = std::max(max, p[j]);
          any = true;
        }
        for (int32_t j = 0; j < kSeq; ++j) {
          const bool in = mask[b * kSeq + j] && std::abs(i - j) <= window;
          p[j] = !any ? 1.0 : in ? std::exp(p[j] - max) : 0.0;
          sum += p[j];
        }
        for (int32_t j = 0; j < kSeq; ++j) {
          p[j] /= sum;
          EXPECT_NEAR(probs[((b * kHeads + h) * kSeq + i) * kSeq + j], p[j], 1e-6) << b << h << i << j;
        }
        for (int32_t d = 0; d < hd; ++d) {
          double c = 0.0;
          for (int32_t j = 0; j < kSeq; ++j) c += p[j] * qkv[(b * kSeq + j) * 3 * kH + 2 * kH + h * hd + d];
          EXPECT_NEAR(ctx[(b * kSeq + i) * kH + h * hd + d], c, 1e-5);
        }
      }
    }
  }
  // A query subset (the pruned last layer) gets the full call's rows.
  const std::vector<int32_t> rows = {1, 5, 6, kSeq + 1, kSeq + 6};
  std::vector<float> q(rows.size() * 3 * kH), sub(rows.size() * kH);
  for (size_t r = 0; r < rows.size(); ++r) std::memcpy(&q[r * 3 * kH], &qkv[size_t(rows[r]) * 3 * kH], sizeof(float) * kH);
  const AttentionQueries queries{rows.data(), static_cast<int32_t>(rows.size())};
  MultiHeadAttention(shape, q.data(), qkv.data() + kH, qkv.data() + 2 * kH, mask.data(), scale, sub.data(), nullptr,
                     scratch.data(), DefaultThreadPool(), &queries);
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(0, std::memcmp(&sub[r * kH], &ctx[size_t(rows[r]) * kH], sizeof(float) * kH)) << rows[r];
  }
}

// A tile of queries whose windows hold no valid key at all (8 valid keys, a whole panel, then padding):
// uniform rows, no empty GEMM (the wasm microkernel needs at least one column and one k).
TEST(BlocksModern, SlidingWindowTileWithoutValidKeys) {
  const int32_t seq = 16, hd = 4;
  std::vector<int32_t> mask(seq, 0);
  for (int32_t t = 0; t < 8; ++t) mask[t] = 1;
  std::vector<float> qkv = Random(size_t(seq) * 3 * hd, 9);
  AttentionShape shape{1, seq, 1, hd, 3 * hd, 3 * hd, 3 * hd};
  shape.window = 2;
  std::vector<float> scratch(AttentionScratchFloats(shape, DefaultThreadPool()));
  std::vector<float> ctx(size_t(seq) * hd), probs(size_t(seq) * seq);
  MultiHeadAttention(shape, qkv.data(), qkv.data() + hd, qkv.data() + 2 * hd, mask.data(), 0.5f, ctx.data(), probs.data(),
                     scratch.data(), DefaultThreadPool());
  for (int32_t i = 10; i < seq; ++i) {  // windows [i-2, i+2] without a valid key
    for (int32_t j = 0; j < seq; ++j) EXPECT_FLOAT_EQ(probs[i * seq + j], 1.0f / seq) << i << " " << j;
    for (int32_t d = 0; d < hd; ++d) {
      double mean = 0;
      for (int32_t j = 0; j < seq; ++j) mean += qkv[j * 3 * hd + 2 * hd + d] / seq;
      EXPECT_NEAR(ctx[i * hd + d], mean, 1e-5);
    }
  }
  for (int32_t j = 0; j < seq; ++j) EXPECT_FLOAT_EQ(probs[9 * seq + j], j == 7 ? 1.0f : 0.0f) << j;  // only key 7
}

TEST(BlocksModern, GegluForwardAndBackward) {
  const int32_t rows = 5;
  std::vector<float> x = Random(size_t(rows) * 2 * kI, 5), c = Random(size_t(rows) * kI, 6), out(size_t(rows) * kI);
  GegluForward(Activation::kGeluErf, x.data(), rows, kI, out.data());
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t i = 0; i < kI; ++i) {
      const double a = x[r * 2 * kI + i], g = x[r * 2 * kI + kI + i];
      EXPECT_NEAR(out[r * kI + i], 0.5 * a * (1 + std::erf(a / std::sqrt(2.0))) * g, 1e-5);
    }
  }
  std::vector<float> inplace(x);  // compacted in place
  GegluForward(Activation::kGeluErf, inplace.data(), rows, kI, inplace.data());
  EXPECT_EQ(0, std::memcmp(inplace.data(), out.data(), sizeof(float) * out.size()));
  std::vector<float> d(size_t(rows) * 2 * kI);
  std::copy(c.begin(), c.end(), d.begin());
  GegluBackward(Activation::kGeluErf, x.data(), d.data(), rows, kI, d.data());  // expanded in place
  auto f = [&] {
    GegluForward(Activation::kGeluErf, x.data(), rows, kI, out.data());
    return Objective(out.data(), c);
  };
  EXPECT_LE(GradientError(x.data(), d.data(), x.size(), f), 2e-3);
}

// A layer's weights from plain vectors (perturbed, then packed again).
struct Layer {
  std::vector<float> qkv = Random(size_t(3) * kH * kH, 10, 0.4f), out = Random(size_t(kH) * kH, 11, 0.4f),
                     in1 = Random(size_t(2) * kI * kH, 12, 0.4f), out2 = Random(size_t(kH) * kI, 13, 0.4f),
                     r = Random(size_t(kH) * kH, 14, 0.4f);
  EncoderLayerWeights w;
  std::vector<int32_t> mask = Mask(), segments = std::vector<int32_t>(kM, 0);
  std::vector<float> positional = std::vector<float>(size_t(2) * kSeq * kH);
  std::vector<float> scratch, bqkv, relative = std::vector<float>(size_t(2) * kSeq * kH);
  std::vector<float> qkv_buf = std::vector<float>(size_t(kM) * 3 * kH), context = std::vector<float>(size_t(kM) * kH),
                     query = std::vector<float>(size_t(2) * kM * kH), sum = std::vector<float>(size_t(kM) * kH),
                     inner = std::vector<float>(size_t(kM) * 2 * kI);
  bool xlnet = false;
  explicit Layer(bool xlnet_) : xlnet(xlnet_) {
    const int32_t inter = xlnet ? kI : 2 * kI;
    w.ffn.activation = Activation::kGeluErf;
    w.attention.heads = kHeads;
    w.ffn_norm.gamma = Random(kH, 20, 0.2f);
    for (float& g : w.ffn_norm.gamma) g += 1.0f;
    w.ffn_norm.beta = Random(kH, 21, 0.1f);
    w.ffn_norm.eps = 1e-5f;
    if (xlnet) {  // post-norm, relative attention with segments
      w.norm = NormPlacement::kPostNorm;
      w.attention_norm = w.ffn_norm;
      w.attention.scores = AttentionScores::kXlnetRelative;
      w.attention.xlnet.r_w_bias = Random(kH, 30, 0.5f);
      w.attention.xlnet.r_r_bias = Random(kH, 31, 0.5f);
      w.attention.xlnet.r_s_bias = Random(kH, 32, 0.5f);
      w.attention.xlnet.seg_embed = Random(2 * kH, 33, 0.5f);
      for (int32_t t = 4; t < kSeq; ++t) segments[t] = 1;  // row 0: a second segment
      for (int32_t t = 2; t < kSeq; ++t) segments[kSeq + t] = 3;  // pads: type 3
      XlnetPositionEmbeddings(kSeq, kH, -1, positional.data());
    } else {  // ModernBERT: pre-norm (the first layer's identity norm is covered by the model tests), rotary, window, GeGLU
      w.norm = NormPlacement::kPreNorm;
      w.attention_norm = w.ffn_norm;
      w.attention.rotary = MakeRotaryTable(10000.0, kH / kHeads, kSeq);
      w.attention.window = 2;
      w.ffn.kind = FeedForwardKind::kGeGLU;
    }
    (void)inter;
    Repack();
    scratch.resize(AttentionScratchFloats(SelfAttentionShape(w.attention, kBatch, kSeq), DefaultThreadPool()));
  }
  void Repack() {
    const int32_t inter = xlnet ? kI : 2 * kI;
    w.attention.qkv = PackLinearF32(qkv.data(), std::vector<float>(3 * kH, 0.0f).data(), 3 * kH, kH);
    w.attention.output = PackLinearF32(out.data(), std::vector<float>(kH, 0.0f).data(), kH, kH);
    w.ffn.in = PackLinearF32(in1.data(), std::vector<float>(inter, 0.1f).data(), inter, kH);
    w.ffn.out = PackLinearF32(out2.data(), std::vector<float>(kH, 0.0f).data(), kH, kI);
    if (xlnet) w.attention.xlnet.r = PackLinearF32(r.data(), std::vector<float>(kH, 0.0f).data(), kH, kH);
  }
  EncoderLayerBuffers Buffers() {
    EncoderLayerBuffers b;
    b.attention = SelfAttentionBuffers{qkv_buf.data(), context.data(), scratch.data(), relative.data()};
    b.query_input = query.data();
    b.sum = sum.data();
    b.ffn = FeedForwardBuffers{inner.data()};
    return b;
  }
  EncoderLayerIO Io(float* x) {
    EncoderLayerIO io{kBatch, kSeq, mask.data(), x};
    io.segments = segments.data();
    io.positional = positional.data();
    return io;
  }
};

void CheckLayerBackward(bool xlnet) {
  Layer l(xlnet);
  const std::vector<float> c = Random(size_t(kM) * kH, 51);
  std::vector<float> x = Random(size_t(kM) * kH, 50, 2.0f);
  auto f = [&] {
    std::vector<float> y(x);
    EncoderLayerForward(l.w, l.Io(y.data()), l.Buffers(), nullptr, DefaultThreadPool());
    return Objective(y.data(), c);
  };
  std::vector<float> input(x.size()), qkv(size_t(kM) * 3 * kH), probs(size_t(kBatch) * kHeads * kSeq * kSeq),
      attention_sum(x.size()), pre(size_t(kM) * 2 * kI), ffn_sum(x.size());
  LayerTape tape;
  tape.input = input.data();
  tape.attention = SelfAttentionTape{qkv.data(), probs.data()};
  tape.attention_sum = attention_sum.data();
  tape.ffn = FeedForwardTape{pre.data()};
  tape.ffn_sum = ffn_sum.data();
  std::vector<float> y(x), untaped(x);
  EncoderLayerForward(l.w, l.Io(y.data()), l.Buffers(), &tape, DefaultThreadPool());
  EncoderLayerForward(l.w, l.Io(untaped.data()), l.Buffers(), nullptr, DefaultThreadPool());
  EXPECT_EQ(y, untaped) << "the taped forward is the forward";
  BackwardWeights bw;
  for (const Linear* lin : {&l.w.attention.qkv, &l.w.attention.output, &l.w.ffn.in, &l.w.ffn.out}) {
    ASSERT_TRUE(bw.Add(**lin).ok());
  }
  std::vector<float> dx(c), dsum(x.size()), dcontext(x.size()), dqkv(size_t(kM) * 3 * kH), dinner(size_t(kM) * 2 * kI),
      relative(size_t(2) * kSeq * kH);
  EncoderLayerBackwardBuffers buffers{dsum.data(), SelfAttentionBackwardBuffers{dcontext.data(), dqkv.data(), relative.data()},
                                      FeedForwardBackwardBuffers{dinner.data()}};
  EncoderLayerBackward(l.w, bw, kBatch, kSeq, l.mask.data(), tape, dx.data(), nullptr, buffers, nullptr,
                       DefaultThreadPool(), SelfAttentionBackwardInputs{l.segments.data(), l.positional.data()});
  const double error = GradientError(x.data(), dx.data(), dx.size(), f);
  std::printf("  %s layer: input gradient vs finite differences %.2e\n", xlnet ? "XLNet" : "ModernBERT", error);
  EXPECT_LE(error, 2e-3);
  // The pruned last layer: a query subset computes the full layer's rows bit for bit.
  const std::vector<int32_t> rows = {0, 4, 6, kSeq + 1, kSeq + 6};
  std::vector<float> full(x), subset(x);
  EncoderLayerForward(l.w, l.Io(full.data()), l.Buffers(), nullptr, DefaultThreadPool());
  EncoderLayerIO sub = l.Io(subset.data());
  sub.query_rows = rows.data();
  sub.query_count = static_cast<int32_t>(rows.size());
  EncoderLayerForward(l.w, sub, l.Buffers(), nullptr, DefaultThreadPool());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(&subset[i * kH], &full[size_t(rows[i]) * kH], sizeof(float) * kH)) << rows[i];
  }
}

TEST(BlocksModern, PreNormRotaryWindowGegluLayerBackward) { CheckLayerBackward(false); }

TEST(BlocksModern, XlnetRelativeAttentionLayerBackward) { CheckLayerBackward(true); }

}  // namespace
}  // namespace bt
