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
    explainer_ = std::make_unique<Explainer>(model_->parts());
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

// grad_x_input is Σ_e grad f(x)·(x − x') per token: by default x' = 0 (the classic gradient ×
// input), with baseline pad x' = the [PAD] embedding; special tokens keep their embeddings (0).
TEST_F(ExplainSst2, GradXInputIsGradientTimesInputMinusBaseline) {
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
    // The same sums from the gradient at the input.
    const ModelParts& parts = model_->parts();
    const int32_t e = parts.encoder.embedding_size, seq = static_cast<int32_t>(r.ids.size());
    SequenceInput in;
    in.seq = seq;
    in.ids = r.ids;
    in.type_ids = r.type_ids;
    in.mask.assign(r.ids.size(), 1);
    std::vector<float> x(static_cast<size_t>(seq) * e), pad_row(static_cast<size_t>(e));
    GatherWordEmbeddings(parts.encoder, in.ids.data(), seq, x.data());
    GatherWordEmbeddings(parts.encoder, &r.baseline_id, 1, pad_row.data());
    std::vector<double> values;
    std::vector<float> grads;
    GradientRequest g{x.data(), 1, 1024};
    ASSERT_TRUE(TargetGradients(parts, &explainer_->backward_weights(), in, zero->prediction.target, g, values, &grads,
                                DefaultThreadPool())
                    .ok());
    for (int32_t t = 0; t < seq; ++t) {
      double gx = 0.0, gxp = 0.0;
      for (int32_t j = 0; j < e; ++j) {
        const size_t i = static_cast<size_t>(t) * e + j;
        gx += static_cast<double>(grads[i]) * x[i];
        gxp += static_cast<double>(grads[i]) * (static_cast<double>(x[i]) - pad_row[j]);
      }
      if (r.words[t] < 0) {
        EXPECT_EQ(zero->tokens[t], 0.0);
        EXPECT_EQ(pad->tokens[t], 0.0);
        continue;
      }
      EXPECT_NEAR(zero->tokens[t], gx, 1e-6 * (1.0 + std::fabs(gx))) << s << " token " << t;
      EXPECT_NEAR(pad->tokens[t], gxp, 1e-6 * (1.0 + std::fabs(gxp))) << s << " token " << t;
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
    //   grad_x_input 35/35, integrated_gradients 45/46, occlusion 50/50, lime 48/47,
    //   attention_rollout 33/45, gradient_weighted_rollout 48/49.
    // Held-out check of the design choices (dev sentences 50-149, signed / by magnitude):
    //   grad_x_input 78/80 with the zero baseline (the default) but 42/85 with baseline pad, the
    //   gradient at x being a poor guide to the far-from-linear path to [PAD]; attention_rollout
    //   62/84; gradient_weighted_rollout 94/90.
    // Gradient × input and attention rollout (class-agnostic, unsigned) do not reach the 80% bar:
    // they are held to their measured level less one sentence, so a regression still fails.
    double bar = 0.8;
    if (method == ExplainMethod::kGradXInput) bar = 0.68;
    if (method == ExplainMethod::kAttentionRollout) bar = 0.64;
    EXPECT_GE(agree, bar * total) << ExplainMethodName(method);
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
