// Each block (src/models/blocks/), the encoder layer and the head, on small random weights: the
// backward beside every forward — input gradients and parameter gradients — against central finite
// differences of that same forward (an eighth-order stencil on a float32 forward, the objective a
// fixed random weighting of the outputs summed in double). Also: a layer's query subset computes
// the full layer's rows bit for bit, a taped forward equals the untaped one bit for bit, and the
// parameter-gradient tape keeps every linear's input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "models/backward_weights.h"
#include "models/blocks/dense.h"
#include "models/blocks/embeddings.h"
#include "models/blocks/feed_forward.h"
#include "models/blocks/layer_norm.h"
#include "models/blocks/self_attention.h"
#include "models/encoder_layer.h"
#include "models/head.h"

namespace bt {
namespace {

constexpr int32_t kBatch = 2, kSeq = 5, kM = kBatch * kSeq, kH = 8, kHeads = 2, kI = 12, kE = 6;

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// A linear layer whose unpacked weights the test perturbs (then packs again).
struct TestLinear {
  int32_t n = 0, k = 0;
  std::vector<float> w, b;
  Linear packed;
  TestLinear(int32_t n_, int32_t k_, uint32_t seed) : n(n_), k(k_), w(Random(size_t(n_) * k_, seed, 0.4f)), b(Random(n_, seed + 1, 0.1f)) {
    Pack();
  }
  void Pack() { packed = PackLinearF32(w.data(), b.data(), n, k); }
};

LayerNormWeights RandomNorm(int32_t n, uint32_t seed) {
  LayerNormWeights norm;
  norm.gamma = Random(n, seed, 0.3f);
  for (float& g : norm.gamma) g += 1.0f;
  norm.beta = Random(n, seed + 1, 0.1f);
  norm.eps = 1e-5f;
  return norm;
}

// Σ c·y in double: the objective whose gradient w.r.t. y is c.
double Objective(const float* y, const std::vector<float>& c) {
  double s = 0.0;
  for (size_t i = 0; i < c.size(); ++i) s += static_cast<double>(c[i]) * y[i];
  return s;
}

// d f / d p by an eighth-order central stencil; `after` re-derives what depends on p (a packing).
double FiniteDifference(float* p, const std::function<double()>& f, const std::function<void()>& after = [] {},
                        double h = 1e-2) {
  const double offsets[8] = {1, -1, 2, -2, 3, -3, 4, -4};
  const double weights[8] = {4.0 / 5, -4.0 / 5, -1.0 / 5, 1.0 / 5, 4.0 / 105, -4.0 / 105, -1.0 / 280, 1.0 / 280};
  const float saved = *p;
  double d = 0.0;
  for (int j = 0; j < 8; ++j) {
    *p = static_cast<float>(saved + offsets[j] * h);
    after();
    d += weights[j] * f();
  }
  *p = saved;
  after();
  return d / h;
}

// Checks `analytic` (n values) against finite differences of f at every 3rd coordinate of `param`:
// ‖fd − analytic‖ / ‖analytic‖ over them.
void ExpectGradient(const char* what, float* param, const float* analytic, size_t n, const std::function<double()>& f,
                    const std::function<void()>& after = [] {}) {
  double num = 0.0, den = 0.0;
  int checked = 0;
  for (size_t i = 0; i < n; i += 3) {
    const double fd = FiniteDifference(param + i, f, after);
    num += (fd - analytic[i]) * (fd - analytic[i]);
    den += static_cast<double>(analytic[i]) * analytic[i];
    ++checked;
  }
  ASSERT_GT(den, 0.0) << what << ": the gradient is zero";
  EXPECT_LE(std::sqrt(num / den), 2e-3) << what << " (" << checked << " coordinates)";
}

std::vector<int32_t> Mask() {
  std::vector<int32_t> mask(kM, 1);
  mask[kSeq + 3] = mask[kSeq + 4] = 0;  // the second sequence is padded from position 3
  return mask;
}

TEST(Blocks, LayerNorm) {
  LayerNormWeights norm = RandomNorm(kH, 1);
  std::vector<float> x = Random(size_t(kM) * kH, 2), c = Random(x.size(), 3), y(x.size());
  auto f = [&] {
    LayerNormForward(norm, x.data(), y.data(), kM, kH, DefaultThreadPool());
    return Objective(y.data(), c);
  };
  std::vector<float> dx(x.size()), dgamma(kH, 0.0f), dbeta(kH, 0.0f);
  LayerNormGrads grads{dgamma.data(), dbeta.data()};
  LayerNormBackward(norm, x.data(), c.data(), kM, kH, dx.data(), DefaultThreadPool(), &grads);
  ExpectGradient("dx", x.data(), dx.data(), dx.size(), f);
  ExpectGradient("dgamma", norm.gamma.data(), dgamma.data(), kH, f);
  ExpectGradient("dbeta", norm.beta.data(), dbeta.data(), kH, f);
}

TEST(Blocks, DenseWithEveryActivation) {
  for (Activation act : {Activation::kNone, Activation::kGeluErf, Activation::kGeluTanh, Activation::kTanh,
                         Activation::kRelu}) {
    SCOPED_TRACE(static_cast<int>(act));
    TestLinear l(kI, kH, 4);
    std::vector<float> x = Random(size_t(kM) * kH, 5), c = Random(size_t(kM) * kI, 6), y(c.size()), pre(c.size());
    auto f = [&] {
      LinearForward(*l.packed, x.data(), kM, act, nullptr, y.data(), DefaultThreadPool());
      return Objective(y.data(), c);
    };
    LinearForward(*l.packed, x.data(), kM, Activation::kNone, nullptr, pre.data(), DefaultThreadPool());
    std::vector<float> g(c), dx(x.size()), dw(l.w.size(), 0.0f), db(l.n, 0.0f);
    ActivationBackward(act, pre.data(), g.data(), static_cast<int64_t>(g.size()));
    BackwardWeights bw;
    ASSERT_TRUE(bw.Add(*l.packed).ok());
    LinearBackward(*bw.Transposed(*l.packed), g.data(), kM, false, dx.data(), DefaultThreadPool());
    AccumulateLinearGrads(x.data(), g.data(), kM, l.n, l.k, LinearGrads{dw.data(), db.data()}, DefaultThreadPool());
    ExpectGradient("dx", x.data(), dx.data(), dx.size(), f);
    ExpectGradient("dW", l.w.data(), dw.data(), dw.size(), f, [&] { l.Pack(); });
    ExpectGradient("db", l.b.data(), db.data(), db.size(), f, [&] { l.Pack(); });
  }
}

struct AttentionFixture {
  TestLinear qkv{3 * kH, kH, 10}, output{kH, kH, 12};
  SelfAttentionWeights w;
  std::vector<int32_t> mask = Mask();
  std::vector<float> scratch;
  AttentionFixture() {
    w.heads = kHeads;
    Repack();
    scratch.resize(AttentionScratchFloats(SelfAttentionShape(w, kBatch, kSeq), DefaultThreadPool()));
  }
  void Repack() {
    qkv.Pack();
    output.Pack();
    w.qkv = PackLinearF32(qkv.w.data(), qkv.b.data(), qkv.n, qkv.k);
    w.output = PackLinearF32(output.w.data(), output.b.data(), output.n, output.k);
  }
};

TEST(Blocks, SelfAttention) {
  AttentionFixture a;
  std::vector<float> x = Random(size_t(kM) * kH, 14), c = Random(size_t(kM) * kH, 15), out(c.size());
  std::vector<float> qkv(size_t(kM) * 3 * kH), context(size_t(kM) * kH), probs(size_t(kBatch) * kHeads * kSeq * kSeq);
  auto run = [&](SelfAttentionTape* tape) {
    SelfAttentionIO io{kBatch, kSeq, a.mask.data(), x.data(), nullptr, 0, x.data(), out.data()};
    SelfAttentionForward(a.w, io, SelfAttentionBuffers{qkv.data(), context.data(), a.scratch.data()}, tape,
                         DefaultThreadPool());
  };
  auto f = [&] {
    run(nullptr);
    return Objective(out.data(), c);
  };
  std::vector<float> tape_context(context.size());
  SelfAttentionTape tape{qkv.data(), probs.data(), tape_context.data()};
  run(&tape);
  BackwardWeights bw;
  ASSERT_TRUE(bw.Add(*a.w.qkv).ok() && bw.Add(*a.w.output).ok());
  std::vector<float> dx(c), dcontext(context.size()), dqkv(qkv.size());
  std::vector<float> dqkv_w(a.qkv.w.size(), 0.0f), dqkv_b(a.qkv.n, 0.0f), dout_w(a.output.w.size(), 0.0f),
      dout_b(a.output.n, 0.0f);
  SelfAttentionGrads grads{{dqkv_w.data(), dqkv_b.data()}, {dout_w.data(), dout_b.data()}};
  SelfAttentionBackward(a.w, bw, kBatch, kSeq, a.mask.data(), tape, dx.data(), nullptr,
                        SelfAttentionBackwardBuffers{dcontext.data(), dqkv.data()}, &grads, DefaultThreadPool());
  ExpectGradient("dx", x.data(), dx.data(), dx.size(), f);
  ExpectGradient("dWqkv", a.qkv.w.data(), dqkv_w.data(), dqkv_w.size(), f, [&] { a.Repack(); });
  ExpectGradient("dbqkv", a.qkv.b.data(), dqkv_b.data(), dqkv_b.size(), f, [&] { a.Repack(); });
  ExpectGradient("dWo", a.output.w.data(), dout_w.data(), dout_w.size(), f, [&] { a.Repack(); });
  ExpectGradient("dbo", a.output.b.data(), dout_b.data(), dout_b.size(), f, [&] { a.Repack(); });
}

TEST(Blocks, FeedForward) {
  TestLinear in(kI, kH, 20), outl(kH, kI, 22);
  FeedForwardWeights w;
  w.activation = Activation::kGeluErf;
  auto repack = [&] {
    w.in = PackLinearF32(in.w.data(), in.b.data(), in.n, in.k);
    w.out = PackLinearF32(outl.w.data(), outl.b.data(), outl.n, outl.k);
  };
  repack();
  std::vector<float> h = Random(size_t(kM) * kH, 24), c = Random(size_t(kM) * kH, 25), out(c.size()), inner(size_t(kM) * kI);
  auto f = [&] {
    FeedForwardForward(w, FeedForwardIO{h.data(), kM, h.data(), out.data()}, FeedForwardBuffers{inner.data()}, nullptr,
                       DefaultThreadPool());
    return Objective(out.data(), c);
  };
  std::vector<float> pre(inner.size()), act(inner.size());
  FeedForwardTape tape{pre.data(), act.data()};
  FeedForwardForward(w, FeedForwardIO{h.data(), kM, h.data(), out.data()}, FeedForwardBuffers{inner.data()}, &tape,
                     DefaultThreadPool());
  BackwardWeights bw;
  ASSERT_TRUE(bw.Add(*w.in).ok() && bw.Add(*w.out).ok());
  std::vector<float> dx(c), dinner(inner.size()), dwin(in.w.size(), 0.0f), dbin(in.n, 0.0f), dwout(outl.w.size(), 0.0f),
      dbout(outl.n, 0.0f);
  FeedForwardGrads grads{{dwin.data(), dbin.data()}, {dwout.data(), dbout.data()}};
  FeedForwardBackward(w, bw, kM, tape, dx.data(), FeedForwardBackwardBuffers{dinner.data()}, &grads, DefaultThreadPool());
  ExpectGradient("dh", h.data(), dx.data(), dx.size(), f);
  ExpectGradient("dW1", in.w.data(), dwin.data(), dwin.size(), f, repack);
  ExpectGradient("db1", in.b.data(), dbin.data(), dbin.size(), f, repack);
  ExpectGradient("dW2", outl.w.data(), dwout.data(), dwout.size(), f, repack);
  ExpectGradient("db2", outl.b.data(), dbout.data(), dbout.size(), f, repack);
}

TEST(Blocks, EmbeddingsWithProjectionAndRobertaPositions) {
  const int32_t vocab = 7, max_positions = 12;
  EmbeddingWeights w;
  std::vector<float> table = Random(size_t(vocab) * kE, 30);
  w.word = EmbeddingTable(table, vocab, kE, false);
  w.position = Random(size_t(max_positions) * kE, 31);
  w.token_type = Random(size_t(2) * kE, 32);
  w.norm = RandomNorm(kE, 33);
  w.positions = PositionIds::kAfterPadding;
  w.padding_idx = 1;
  TestLinear projection(kH, kE, 34);
  w.projection = PackLinearF32(projection.w.data(), projection.b.data(), kH, kE);
  const std::vector<int32_t> ids = {0, 2, 3, 4, 5, 6, 2, 3, 1, 1}, types = {0, 0, 0, 1, 1, 0, 0, 1, 1, 1};
  std::vector<int32_t> positions(kM);
  ComputePositionIds(w, ids.data(), kBatch, kSeq, positions.data());
  EXPECT_EQ(positions, (std::vector<int32_t>{2, 3, 4, 5, 6, 2, 3, 4, 1, 1}));  // pads keep padding_idx
  std::vector<float> words(size_t(kM) * kE);
  GatherWordEmbeddings(w, ids.data(), kM, words.data());
  const EmbeddingInput in{kBatch, kSeq, ids.data(), types.data(), words.data()};
  std::vector<float> c = Random(size_t(kM) * kH, 35), out(c.size()), normed(size_t(kM) * kE);
  std::vector<int32_t> pos(kM);
  const EmbeddingBuffers buffers{pos.data(), normed.data()};
  auto repack = [&] { w.projection = PackLinearF32(projection.w.data(), projection.b.data(), kH, kE); };
  auto f = [&] {
    EmbeddingsForward(w, in, out.data(), buffers, nullptr, DefaultThreadPool());
    return Objective(out.data(), c);
  };
  // The table's rows (ids) and given word vectors give the same output.
  f();
  std::vector<float> from_ids(out);
  EmbeddingsForward(w, EmbeddingInput{kBatch, kSeq, ids.data(), types.data(), nullptr}, from_ids.data(), buffers, nullptr,
                    DefaultThreadPool());
  EXPECT_EQ(from_ids, out);
  std::vector<float> sum(size_t(kM) * kE), tape_normed(sum.size());
  EmbeddingTape tape{sum.data(), tape_normed.data()};
  EmbeddingsForward(w, in, out.data(), buffers, &tape, DefaultThreadPool());
  BackwardWeights bw;
  ASSERT_TRUE(bw.Add(*w.projection).ok());
  std::vector<float> dout(c), dword(words.size()), dnormed(words.size()), dposition(w.position.size(), 0.0f),
      dtype(w.token_type.size(), 0.0f), dtable(table.size(), 0.0f), dgamma(kE, 0.0f), dbeta(kE, 0.0f),
      dproj_w(projection.w.size(), 0.0f), dproj_b(kH, 0.0f);
  EmbeddingGrads grads;
  grads.word = dtable.data();
  grads.position = dposition.data();
  grads.token_type = dtype.data();
  grads.norm = {dgamma.data(), dbeta.data()};
  grads.projection = {dproj_w.data(), dproj_b.data()};
  EmbeddingsBackward(w, bw, in, tape, dout.data(), dword.data(), nullptr, EmbeddingBackwardBuffers{dnormed.data()},
                     &grads, DefaultThreadPool());
  ExpectGradient("dword", words.data(), dword.data(), dword.size(), f);
  ExpectGradient("dposition", w.position.data(), dposition.data(), dposition.size(), f);
  ExpectGradient("dtype", w.token_type.data(), dtype.data(), dtype.size(), f);
  ExpectGradient("dgamma", w.norm.gamma.data(), dgamma.data(), kE, f);
  ExpectGradient("dbeta", w.norm.beta.data(), dbeta.data(), kE, f);
  ExpectGradient("dprojection", projection.w.data(), dproj_w.data(), dproj_w.size(), f, repack);
  // The table's gradient is the word vectors' gradient summed per id.
  for (int32_t t = 0; t < kM; ++t) {
    for (int32_t j = 0; j < kE; ++j) dtable[size_t(ids[t]) * kE + j] -= dword[size_t(t) * kE + j];
  }
  for (float v : dtable) EXPECT_NEAR(v, 0.0f, 1e-5f);
}

struct LayerFixture {
  AttentionFixture attention;
  TestLinear in{kI, kH, 40}, out{kH, kI, 42};
  EncoderLayerWeights w;
  std::vector<float> qkv = std::vector<float>(size_t(kM) * 3 * kH), context = std::vector<float>(size_t(kM) * kH),
                     query = std::vector<float>(size_t(kM) * kH), sum = std::vector<float>(size_t(kM) * kH),
                     inner = std::vector<float>(size_t(kM) * kI);
  LayerFixture() {
    w.attention_norm = RandomNorm(kH, 44);
    w.ffn_norm = RandomNorm(kH, 46);
    w.ffn.activation = Activation::kGeluTanh;
    Repack();
  }
  void Repack() {
    attention.Repack();
    w.attention.qkv = PackLinearF32(attention.qkv.w.data(), attention.qkv.b.data(), 3 * kH, kH);
    w.attention.output = PackLinearF32(attention.output.w.data(), attention.output.b.data(), kH, kH);
    w.attention.heads = kHeads;
    w.ffn.in = PackLinearF32(in.w.data(), in.b.data(), kI, kH);
    w.ffn.out = PackLinearF32(out.w.data(), out.b.data(), kH, kI);
  }
  EncoderLayerBuffers Buffers() {
    EncoderLayerBuffers b;
    b.attention = SelfAttentionBuffers{qkv.data(), context.data(), attention.scratch.data()};
    b.query_input = query.data();
    b.sum = sum.data();
    b.ffn = FeedForwardBuffers{inner.data()};
    return b;
  }
};

// A layer's tape regions (parameter gradients when `params`).
struct LayerTapeStorage {
  std::vector<float> input, qkv, probs, context, attention_sum, attention_out, pre, act, ffn_sum;
  LayerTape tape;
  explicit LayerTapeStorage(bool params)
      : input(size_t(kM) * kH), qkv(size_t(kM) * 3 * kH), probs(size_t(kBatch) * kHeads * kSeq * kSeq),
        context(size_t(kM) * kH), attention_sum(size_t(kM) * kH), attention_out(size_t(kM) * kH),
        pre(size_t(kM) * kI), act(size_t(kM) * kI), ffn_sum(size_t(kM) * kH) {
    tape.attention = SelfAttentionTape{qkv.data(), probs.data(), params ? context.data() : nullptr};
    tape.attention_sum = attention_sum.data();
    tape.ffn = FeedForwardTape{pre.data(), params ? act.data() : nullptr};
    tape.ffn_sum = ffn_sum.data();
    if (params) {
      tape.input = input.data();
      tape.attention_out = attention_out.data();
    }
  }
};

TEST(Blocks, EncoderLayerBackwardAndParameterGradients) {
  LayerFixture l;
  const std::vector<float> x0 = Random(size_t(kM) * kH, 50), c = Random(size_t(kM) * kH, 51);
  std::vector<float> x(x0);
  auto f = [&] {
    std::vector<float> y(x);
    EncoderLayerForward(l.w, EncoderLayerIO{kBatch, kSeq, l.attention.mask.data(), y.data()}, l.Buffers(), nullptr,
                        DefaultThreadPool());
    return Objective(y.data(), c);
  };
  LayerTapeStorage storage(true);
  std::vector<float> y(x);
  EncoderLayerForward(l.w, EncoderLayerIO{kBatch, kSeq, l.attention.mask.data(), y.data()}, l.Buffers(), &storage.tape,
                      DefaultThreadPool());
  EXPECT_EQ(storage.input, x) << "the parameter tape keeps the layer's input";
  BackwardWeights bw;
  for (const Linear* lin : {&l.w.attention.qkv, &l.w.attention.output, &l.w.ffn.in, &l.w.ffn.out}) {
    ASSERT_TRUE(bw.Add(**lin).ok());
  }
  std::vector<float> dx(c), dsum(x.size()), dcontext(x.size()), dqkv(size_t(kM) * 3 * kH), dinner(size_t(kM) * kI);
  std::vector<float> dwo(l.attention.output.w.size(), 0.0f), dw1(l.in.w.size(), 0.0f), dgamma(kH, 0.0f);
  EncoderLayerGrads grads;
  grads.attention.output.weight = dwo.data();
  grads.ffn.in.weight = dw1.data();
  grads.attention_norm.gamma = dgamma.data();
  EncoderLayerBackwardBuffers buffers{dsum.data(), SelfAttentionBackwardBuffers{dcontext.data(), dqkv.data()},
                                      FeedForwardBackwardBuffers{dinner.data()}};
  EncoderLayerBackward(l.w, bw, kBatch, kSeq, l.attention.mask.data(), storage.tape, dx.data(), nullptr, buffers, &grads,
                       DefaultThreadPool());
  ExpectGradient("dx", x.data(), dx.data(), dx.size(), f);
  ExpectGradient("dWo", l.attention.output.w.data(), dwo.data(), dwo.size(), f, [&] { l.Repack(); });
  ExpectGradient("dW1", l.in.w.data(), dw1.data(), dw1.size(), f, [&] { l.Repack(); });
  ExpectGradient("dgamma1", l.w.attention_norm.gamma.data(), dgamma.data(), kH, f);
}

TEST(Blocks, LayerQuerySubsetAndTapesAreBitwiseTheFullLayer) {
  LayerFixture l;
  const std::vector<float> x = Random(size_t(kM) * kH, 60);
  std::vector<float> full(x), probs(size_t(kBatch) * kHeads * kSeq * kSeq);
  EncoderLayerIO io{kBatch, kSeq, l.attention.mask.data(), full.data()};
  io.probs = probs.data();
  EncoderLayerForward(l.w, io, l.Buffers(), nullptr, DefaultThreadPool());
  const std::vector<int32_t> rows = {0, 3, 5, 9};
  std::vector<float> subset(x);
  EncoderLayerIO sub{kBatch, kSeq, l.attention.mask.data(), subset.data(), rows.data(), static_cast<int32_t>(rows.size())};
  EncoderLayerForward(l.w, sub, l.Buffers(), nullptr, DefaultThreadPool());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(subset.data() + i * kH, full.data() + size_t(rows[i]) * kH, sizeof(float) * kH)) << rows[i];
  }
  for (bool params : {false, true}) {
    LayerTapeStorage storage(params);
    std::vector<float> taped(x);
    EncoderLayerForward(l.w, EncoderLayerIO{kBatch, kSeq, l.attention.mask.data(), taped.data()}, l.Buffers(),
                        &storage.tape, DefaultThreadPool());
    EXPECT_EQ(taped, full);
    EXPECT_EQ(storage.probs, probs);
  }
}

TEST(Blocks, HeadBackwardAndParameterGradients) {
  TestLinear dense(kH, kH, 70), decoder(5, kH, 72);
  LayerNormWeights norm = RandomNorm(kH, 74);
  HeadProgram head;
  auto rebuild = [&] {
    head.steps.clear();
    head.steps.push_back(LinearStep(PackLinearF32(dense.w.data(), dense.b.data(), kH, kH), Activation::kGeluErf));
    head.steps.push_back(NormStep(norm));
    head.steps.push_back(LinearStep(PackLinearF32(decoder.w.data(), decoder.b.data(), 5, kH), Activation::kNone));
  };
  rebuild();
  std::vector<float> hidden = Random(size_t(kM) * kH, 76);
  const std::vector<int32_t> rows = {1, 4, 7};
  const int32_t count = static_cast<int32_t>(rows.size()), width = head.max_width(kH);
  std::vector<float> a(size_t(count) * width), b(a.size()), c = Random(size_t(count) * 5, 77);
  auto f = [&] {
    const float* out = HeadForward(head, HeadInput{hidden.data(), kH, rows.data(), count}, HeadBuffers{a.data(), b.data()},
                                   nullptr, DefaultThreadPool());
    return Objective(out, c);
  };
  std::vector<float> gathered(size_t(count) * kH), pre0(size_t(count) * kH), out0(pre0.size()), out1(pre0.size()),
      out2(size_t(count) * 5);
  HeadTape tape;
  tape.gathered = gathered.data();
  tape.steps = {{nullptr, pre0.data(), out0.data()}, {nullptr, nullptr, out1.data()}, {nullptr, nullptr, out2.data()}};
  const float* taped = HeadForward(head, HeadInput{hidden.data(), kH, rows.data(), count}, HeadBuffers{a.data(), b.data()},
                                   &tape, DefaultThreadPool());
  const double value = Objective(taped, c);
  EXPECT_EQ(value, f()) << "taped and untaped heads agree bit for bit";
  std::vector<float> drows(size_t(count) * kH), g1(size_t(count) * width), g2(g1.size()), dw(dense.w.size(), 0.0f),
      dgamma(kH, 0.0f), ddec(decoder.w.size(), 0.0f);
  HeadGrads grads;
  grads.linear = {{dw.data(), nullptr}, {}, {ddec.data(), nullptr}};
  grads.norm = {{}, {dgamma.data(), nullptr}, {}};
  HeadBackward(head, tape, c.data(), drows.data(), HeadBuffers{g1.data(), g2.data()}, &grads, DefaultThreadPool());
  std::vector<float> dhidden(hidden.size(), 0.0f);
  for (int32_t i = 0; i < count; ++i) std::memcpy(dhidden.data() + size_t(rows[i]) * kH, drows.data() + size_t(i) * kH, sizeof(float) * kH);
  ExpectGradient("drows", hidden.data(), dhidden.data(), dhidden.size(), f);
  ExpectGradient("dW dense", dense.w.data(), dw.data(), dw.size(), f, rebuild);
  ExpectGradient("dW decoder", decoder.w.data(), ddec.data(), ddec.size(), f, rebuild);
  ExpectGradient("dgamma", norm.gamma.data(), dgamma.data(), kH, f, rebuild);
}

}  // namespace
}  // namespace bt
