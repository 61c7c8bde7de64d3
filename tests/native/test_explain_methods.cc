// Explanation methods on bert-mini-sst2: integrated-gradients completeness, LIME determinism,
// gradient × input's baselines, the gradient-weighted rollout, the occlusion agreement of every
// method, and the errors for bad requests.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "explain/request_json.h"
#include "explain_test_util.h"

namespace bt {
namespace {

class ExplainSst2 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveShared()) GTEST_SKIP() << "shared assets not found";
    model_ = testing::LoadSharedModel("models/bert-mini-sst2");
    ASSERT_NE(model_, nullptr);
    explainer_ = std::make_unique<Explainer>(*model_);
  }
  Result<Explanation> Run(const ExplainRequest& r) { return explainer_->Explain(r, DefaultThreadPool()); }
  std::unique_ptr<Model> model_;
  std::unique_ptr<Explainer> explainer_;
};

TEST_F(ExplainSst2, IntegratedGradientsCompleteness) {
  double worst = 0.0;
  for (const std::string& s : testing::Sst2Dev(20)) {
    ExplainRequest r = testing::RequestFor(*model_, s, ExplainMethod::kIntegratedGradients);
    r.steps = 64;
    auto e = Run(r);
    ASSERT_TRUE(e.ok()) << e.status().message();
    const double ratio = std::fabs(e->completeness_gap) / std::fabs(e->delta);
    worst = std::max(worst, ratio);
    EXPECT_LE(ratio, 0.01) << s << ": gap " << e->completeness_gap << " delta " << e->delta;
  }
  std::printf("  IG-64 (Gauss-Legendre, [PAD] baseline, probability): worst |gap|/|delta| over 20 sentences %.2e\n", worst);
}

TEST_F(ExplainSst2, LimeIsDeterministicForASeed) {
  const std::string s = testing::Sst2Dev(1)[0];
  ExplainRequest r = testing::RequestFor(*model_, s, ExplainMethod::kLime);
  r.samples = 64;
  r.seed = 42;
  auto a = Run(r), b = Run(r);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->words, b->words);
  r.seed = 43;
  auto c = Run(r);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->words, c->words);
}

// grad_x_input is Σ_j ∂f/∂e_j·(e_j − e'_j) per token over the embedding layer's output e: by default
// e' = LN(0) = β (the zero embedding), with baseline pad e' = the output with the word's embedding
// replaced by [PAD]'s; special tokens get 0. The gradient at e is checked against the word-embedding
// gradient (itself checked by finite differences in test_explain_gradients.cc): for a direction v
// of the word embeddings, grad_word·v = grad_e·(E(x + εv) − E(x − εv)) / 2ε.
TEST_F(ExplainSst2, GradXInputIsGradientTimesEmbeddingOutputMinusBaseline) {
  for (const std::string& s : testing::Sst2Dev(3)) {
    ExplainRequest r = testing::RequestFor(*model_, s, ExplainMethod::kGradXInput);
    auto by_default = Run(r);
    r.baseline = Baseline::kZero;
    auto zero = Run(r);
    r.baseline = Baseline::kPad;
    auto pad = Run(r);
    ASSERT_TRUE(by_default.ok() && zero.ok() && pad.ok());
    EXPECT_EQ(by_default->tokens, zero->tokens);
    EXPECT_NE(zero->words, pad->words);
    const ModelParts& parts = model_->parts();
    const int32_t e = parts.encoder.embedding_size, seq = static_cast<int32_t>(r.ids.size());
    SequenceInput in;
    in.seq = seq;
    in.ids = r.ids;
    in.type_ids = r.type_ids;
    in.mask.assign(r.ids.size(), 1);
    std::vector<float> x(static_cast<size_t>(seq) * e), padded(x.size());
    GatherWordEmbeddings(parts.encoder.embeddings, in.ids.data(), seq, x.data());
    for (int32_t t = 0; t < seq; ++t) {
      const int32_t id = r.words[t] < 0 ? in.ids[t] : r.baseline_id;
      GatherWordEmbeddings(parts.encoder.embeddings, &id, 1, padded.data() + static_cast<size_t>(t) * e);
    }
    std::vector<double> values;
    std::vector<float> grads, dembedded;
    GradientRequest g{x.data(), 1, 1024};
    g.embedded_grads = &dembedded;
    ASSERT_TRUE(TargetGradients(parts, model_->arena(), &explainer_->backward_weights(), in, zero->prediction.target, g,
                                values, &grads, DefaultThreadPool())
                    .ok());
    ASSERT_EQ(dembedded.size(), x.size());
    const auto embed = [&](const std::vector<float>& words) {
      return EmbeddingOutput(parts.encoder, in, words.data(), DefaultThreadPool());
    };
    const std::vector<float> embedded = embed(x), embedded_pad = embed(padded);
    const std::vector<float>& beta = parts.encoder.embeddings.norm.beta;
    for (int32_t t = 0; t < seq; ++t) {
      double gx = 0.0, gxp = 0.0;
      for (int32_t j = 0; j < e; ++j) {
        const size_t i = static_cast<size_t>(t) * e + j;
        gx += static_cast<double>(dembedded[i]) * (static_cast<double>(embedded[i]) - beta[j]);
        gxp += static_cast<double>(dembedded[i]) * (static_cast<double>(embedded[i]) - embedded_pad[i]);
      }
      if (r.words[t] < 0) {
        EXPECT_EQ(zero->tokens[t], 0.0);
        EXPECT_EQ(pad->tokens[t], 0.0);
        continue;
      }
      EXPECT_NEAR(zero->tokens[t], gx, 1e-6 * (1.0 + std::fabs(gx))) << s << " token " << t;
      EXPECT_NEAR(pad->tokens[t], gxp, 1e-6 * (1.0 + std::fabs(gxp))) << s << " token " << t;
    }
    // The gradient at the embedding output against the word-embedding gradient, through the LayerNorm.
    uint32_t state = 12345;
    for (int direction = 0; direction < 3; ++direction) {
      std::vector<float> v(x.size()), plus(x), minus(x);
      for (float& value : v) {
        state = state * 1664525u + 1013904223u;
        value = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
      }
      const float eps = 1e-3f;
      for (size_t i = 0; i < x.size(); ++i) {
        plus[i] += eps * v[i];
        minus[i] -= eps * v[i];
      }
      const std::vector<float> ep = embed(plus), em = embed(minus);
      double word_side = 0.0, embedded_side = 0.0, scale = 0.0;
      for (size_t i = 0; i < x.size(); ++i) {
        word_side += static_cast<double>(grads[i]) * v[i];
        const double term = static_cast<double>(dembedded[i]) * (static_cast<double>(ep[i]) - em[i]) / (2.0 * eps);
        embedded_side += term;
        scale += std::fabs(term);
      }
      EXPECT_NEAR(embedded_side, word_side, 1e-3 * std::fabs(word_side) + 1e-6 * scale) << s << " direction " << direction;
    }
  }
}

TEST(ExplainOptions, BaselineDefaultsToZeroForGradXInputOnly) {
  ExplainRequest r;
  ASSERT_TRUE(ApplyExplainOptions(R"({"method": "grad_x_input"})", r).ok());
  EXPECT_EQ(r.baseline, Baseline::kDefault);
  EXPECT_TRUE(UsesZeroBaseline(r.method, r.baseline));
  for (const char* m : {"integrated_gradients", "occlusion", "lime"}) {
    EXPECT_FALSE(UsesZeroBaseline(ParseExplainMethod(m).value(), Baseline::kDefault)) << m;
  }
  ASSERT_TRUE(ApplyExplainOptions(R"({"method": "grad_x_input", "baseline": "pad"})", r).ok());
  EXPECT_FALSE(UsesZeroBaseline(r.method, r.baseline));
  ASSERT_TRUE(ApplyExplainOptions(R"({"method": "integrated_gradients", "baseline": "zero"})", r).ok());
  EXPECT_TRUE(UsesZeroBaseline(r.method, r.baseline));
  const Status bad = ApplyExplainOptions(R"({"baseline": "mean"})", r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("baseline 'mean' is not pad or zero"), std::string::npos) << bad.message();
}

// Attention rollout is class-agnostic; its gradient-weighted form depends on the explained class
// and is never negative.
TEST_F(ExplainSst2, GradientWeightedRolloutIsTargetSpecific) {
  const std::string s = testing::Sst2Dev(1)[0];
  std::vector<double> rollout[2], weighted[2];
  for (int32_t k = 0; k < 2; ++k) {
    ExplainRequest r = testing::RequestFor(*model_, s, ExplainMethod::kAttentionRollout);
    r.target.index = k;
    auto a = Run(r);
    r.method = ExplainMethod::kGradientWeightedRollout;
    auto b = Run(r);
    ASSERT_TRUE(a.ok() && b.ok());
    rollout[k] = a->words;
    weighted[k] = b->words;
    EXPECT_EQ(b->forward_sequences, 2);
    EXPECT_EQ(b->backward_sequences, 1);
    for (double v : b->tokens) EXPECT_TRUE(std::isfinite(v) && v >= 0.0) << v;
  }
  EXPECT_EQ(rollout[0], rollout[1]);
  EXPECT_NE(weighted[0], weighted[1]);
}

// Predicted-class probability drop when one word is replaced by [PAD] (as occlusion does).
double Drop(Explainer& explainer, const ExplainRequest& base, int32_t word) {
  ExplainRequest r = base;
  r.method = ExplainMethod::kOcclusion;
  auto e = explainer.Explain(r, DefaultThreadPool());
  return e.ok() ? e->words[word] : 0.0;
}

TEST_F(ExplainSst2, MostAttributedWordMattersMoreThanLeast) {
  const auto sentences = testing::Sst2Dev(50);
  for (ExplainMethod method : {ExplainMethod::kGradXInput, ExplainMethod::kIntegratedGradients,
                               ExplainMethod::kOcclusion, ExplainMethod::kLime, ExplainMethod::kAttentionRollout,
                               ExplainMethod::kGradientWeightedRollout}) {
    int agree = 0, agree_magnitude = 0, total = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const std::string& s : sentences) {
      ExplainRequest r = testing::RequestFor(*model_, s, method);
      auto e = Run(r);
      ASSERT_TRUE(e.ok()) << e.status().message();
      if (e->words.size() < 2) continue;
      const auto [lo, hi] = std::minmax_element(e->words.begin(), e->words.end());
      ExplainRequest occ = r;
      occ.method = ExplainMethod::kOcclusion;
      auto o = Run(occ);
      ASSERT_TRUE(o.ok());
      const double drop_hi = o->words[hi - e->words.begin()], drop_lo = o->words[lo - e->words.begin()];
      agree += drop_hi > drop_lo ? 1 : 0;
      // The unsigned reading: the word with the largest |attribution| moves the probability more
      // (in absolute value) than the word with the smallest |attribution|.
      const auto by_magnitude = [](double a, double b) { return std::fabs(a) < std::fabs(b); };
      const auto [min_abs, max_abs] = std::minmax_element(e->words.begin(), e->words.end(), by_magnitude);
      agree_magnitude += std::fabs(o->words[max_abs - e->words.begin()]) > std::fabs(o->words[min_abs - e->words.begin()]);
      ++total;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  %-26s occlusion agreement signed %d/%d, by magnitude %d/%d  (%.1f s)\n", ExplainMethodName(method),
                agree, total, agree_magnitude, total, seconds);
    // Measured (bert-mini-sst2, first 50 dev sentences, probability target, signed / by magnitude):
    //   grad_x_input 41/42, integrated_gradients 45/46, occlusion 50/50, lime 48/47,
    //   attention_rollout 33/45, gradient_weighted_rollout 48/49.
    // Held-out check of the design choices (dev sentences 50-149, signed / by magnitude):
    //   grad_x_input at the embedding output with e' = β (the default) 82/77; with e' = LN(type +
    //   position) 80/82; e' = 0 (Captum's gradient × layer activation) 81/77; at the word embeddings
    //   (the previous definition) 78/80; baseline pad 42/85. attention_rollout 62/84;
    //   gradient_weighted_rollout 94/90.
    // Signed methods are held to 80% on both readings. Attention rollout has no sign (and ignores the
    // class), so only the unsigned reading applies to it: its largest score against |change|.
    const bool is_signed = method != ExplainMethod::kAttentionRollout;
    if (is_signed) EXPECT_GE(agree, 0.8 * total) << ExplainMethodName(method) << " (signed)";
    EXPECT_GE(agree_magnitude, 0.8 * total) << ExplainMethodName(method) << " (by magnitude)";
  }
}

TEST_F(ExplainSst2, BadRequestsAreClearErrors) {
  const ExplainRequest good = testing::RequestFor(*model_, "a fine film", ExplainMethod::kIntegratedGradients);
  auto expect_error = [&](ExplainRequest r, const std::string& fragment) {
    auto e = Run(r);
    ASSERT_FALSE(e.ok()) << fragment;
    EXPECT_NE(e.status().message().find(fragment), std::string::npos) << e.status().message();
  };
  ExplainRequest r = good;
  r.target.index = 2;
  expect_error(r, "out of range");
  r = good;
  r.steps = 0;
  expect_error(r, "steps must be in [1, 1024]");
  r.steps = 100000;
  expect_error(r, "steps must be in [1, 1024]");
  r = good;
  r.samples = -1;
  expect_error(r, "samples must be in");
  r = testing::RequestFor(*model_, "", ExplainMethod::kOcclusion);
  expect_error(r, "no words");
  EXPECT_FALSE(ParseExplainMethod("shap").ok());
  EXPECT_FALSE(ParseTargetOutput("odds").ok());
  // A failed request leaves the explainer usable.
  EXPECT_TRUE(Run(good).ok());
}

}  // namespace
}  // namespace bt
