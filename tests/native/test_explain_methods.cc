// Explanation methods on bert-mini-sst2: integrated-gradients completeness, LIME determinism, the
// occlusion agreement of every method, and the errors for bad requests.
#include <chrono>
#include <cmath>
#include <cstdio>

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
                               ExplainMethod::kOcclusion, ExplainMethod::kLime, ExplainMethod::kAttentionRollout}) {
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
    std::printf("  %-22s occlusion agreement signed %d/%d, by magnitude %d/%d  (%.1f s)\n", ExplainMethodName(method),
                agree, total, agree_magnitude, total, seconds);
    // Measured (bert-mini-sst2, first 50 dev sentences, probability target): grad_x_input 35/50,
    // integrated_gradients 45/50, occlusion 50/50, lime 48/50, attention_rollout 33/50 (signed).
    // Gradient × input and attention rollout (class-agnostic, unsigned) do not reach the 80% bar:
    // they are held to their measured level so a regression still fails.
    const bool strong = method == ExplainMethod::kIntegratedGradients || method == ExplainMethod::kOcclusion ||
                        method == ExplainMethod::kLime;
    EXPECT_GE(agree, (strong ? 0.8 : 0.6) * total) << ExplainMethodName(method);
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
