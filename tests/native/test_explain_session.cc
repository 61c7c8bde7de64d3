// ExplainSession (explain/session.h): an explanation run a few batches at a time gives bitwise the
// explanation of one Explain call, for every method, any split of the batches and 1 or 2 threads;
// progress counts the method's items; a session's errors and reuse are refused cleanly; dropping a
// session half-way leaves the model's next explanation unchanged.
#include <cstring>

#include "explain/ridge.h"
#include "explain/session.h"
#include "explain_test_util.h"

namespace bt {
namespace {

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), sizeof(double) * a.size()) == 0);
}
bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

void ExpectSame(const Explanation& a, const Explanation& b, const std::string& what) {
  EXPECT_TRUE(SameBits(a.tokens, b.tokens)) << what;
  EXPECT_TRUE(SameBits(a.words, b.words)) << what;
  EXPECT_TRUE(SameBits(a.prediction.value, b.prediction.value)) << what;
  EXPECT_TRUE(SameBits(a.baseline_value, b.baseline_value)) << what;
  EXPECT_TRUE(SameBits(a.delta, b.delta)) << what;
  EXPECT_TRUE(SameBits(a.completeness_gap, b.completeness_gap)) << what;
  EXPECT_EQ(a.forward_sequences, b.forward_sequences) << what;
  EXPECT_EQ(a.backward_sequences, b.backward_sequences) << what;
}

const ExplainMethod kMethods[] = {ExplainMethod::kGradXInput, ExplainMethod::kIntegratedGradients,
                                  ExplainMethod::kOcclusion, ExplainMethod::kLime,
                                  ExplainMethod::kAttentionRollout, ExplainMethod::kGradientWeightedRollout};

TEST(ExplainSession, StepwiseIsBitwiseTheOneCallForEveryMethodSplitAndThreadCount) {
  if (!testing::HaveShared()) GTEST_SKIP() << "shared assets not found";
  auto model = testing::LoadSharedModel("models/bert-mini-sst2");
  ASSERT_NE(model, nullptr);
  Explainer explainer(*model);
  const std::string text = "the acting is wooden and the plot is a mess , but the score is lovely .";
  for (int threads : {1, 2}) {
    SetNumThreads(threads);
    for (ExplainMethod m : kMethods) {
      for (bool trapezoid : {false, true}) {
        if (trapezoid && m != ExplainMethod::kIntegratedGradients) continue;
        ExplainRequest r = testing::RequestFor(*model, text, m);
        r.steps = 9;
        r.trapezoid = trapezoid;
        r.samples = 23;
        r.seed = 5;
        r.max_batch_tokens = 3 * static_cast<int32_t>(r.ids.size());  // 3 items per batch: remainders too
        auto whole = explainer.Explain(r, DefaultThreadPool());
        ASSERT_TRUE(whole.ok()) << whole.status().message();
        for (int64_t per_step : {1, 2, 5}) {
          const std::string what = std::string(ExplainMethodName(m)) + (trapezoid ? " trapezoid" : "") +
                                   ", " + std::to_string(threads) + " threads, " + std::to_string(per_step) +
                                   " batches per step";
          auto begun = explainer.Begin(r, DefaultThreadPool());
          ASSERT_TRUE(begun.ok()) << begun.status().message();
          ExplainSession& s = *begun.value();
          int64_t last = s.done(), steps = 0;
          EXPECT_EQ(last, 0) << what;
          while (s.batches_done() < s.batches_total()) {
            ASSERT_TRUE(s.Step(per_step, DefaultThreadPool()).ok()) << what;
            EXPECT_GE(s.done(), last) << what;
            EXPECT_LE(s.done(), s.total()) << what;
            last = s.done();
            ++steps;
          }
          EXPECT_EQ(s.done(), s.total()) << what;
          EXPECT_EQ(steps, (s.batches_total() + per_step - 1) / per_step) << what;
          auto stepped = s.Finish(DefaultThreadPool());
          ASSERT_TRUE(stepped.ok()) << stepped.status().message();
          ExpectSame(whole.value(), stepped.value(), what);
        }
      }
    }
  }
  SetNumThreads(1);
}

TEST(ExplainSession, ProgressUnitsAndBatchCounts) {
  if (!testing::HaveShared()) GTEST_SKIP() << "shared assets not found";
  auto model = testing::LoadSharedModel("models/bert-mini-sst2");
  ASSERT_NE(model, nullptr);
  Explainer explainer(*model);
  ExplainRequest r = testing::RequestFor(*model, "a gorgeous , witty , seductive movie .", ExplainMethod::kIntegratedGradients);
  const int32_t seq = static_cast<int32_t>(r.ids.size());
  r.steps = 10;
  r.max_batch_tokens = 4 * seq;
  // The first gradient session prepares the backward weights first: one batch per encoder linear
  // (bert-mini: 4 layers × qkv, output, FFN in, FFN out), progress 0 meanwhile.
  const int64_t prepare = static_cast<int64_t>(BackwardWeights::EncoderLinears(model->parts().encoder).size());
  EXPECT_EQ(prepare, 16);
  auto ig = explainer.Begin(r, DefaultThreadPool());
  ASSERT_TRUE(ig.ok());
  EXPECT_STREQ(ig.value()->unit(), "steps");
  EXPECT_EQ(ig.value()->total(), 10);
  EXPECT_EQ(ig.value()->batches_total(), prepare + 3 + 1);  // 4 + 4 + 2 points, then f(x') and f(x)
  ASSERT_TRUE(ig.value()->Step(prepare, DefaultThreadPool()).ok());
  EXPECT_EQ(ig.value()->done(), 0);
  EXPECT_TRUE(explainer.backward_weights().built());
  ASSERT_TRUE(ig.value()->Step(1, DefaultThreadPool()).ok());
  EXPECT_EQ(ig.value()->done(), 4);
  auto again = explainer.Begin(r, DefaultThreadPool());  // prepared already: the method's batches only
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value()->batches_total(), 3 + 1);
  r.trapezoid = true;  // steps + 1 points
  auto trap = explainer.Begin(r, DefaultThreadPool());
  ASSERT_TRUE(trap.ok());
  EXPECT_EQ(trap.value()->total(), 11);
  r.method = ExplainMethod::kLime;
  r.samples = 9;
  auto lime = explainer.Begin(r, DefaultThreadPool());
  ASSERT_TRUE(lime.ok());
  EXPECT_STREQ(lime.value()->unit(), "samples");
  EXPECT_EQ(lime.value()->total(), 9);
  EXPECT_EQ(lime.value()->batches_total(), 3);
  r.method = ExplainMethod::kOcclusion;
  auto occ = explainer.Begin(r, DefaultThreadPool());
  ASSERT_TRUE(occ.ok());
  EXPECT_STREQ(occ.value()->unit(), "sequences");
  EXPECT_EQ(occ.value()->total(), 8 + 1);  // a gorgeous , witty , seductive movie . — and the input itself
  r.method = ExplainMethod::kAttentionRollout;
  auto roll = explainer.Begin(r, DefaultThreadPool());
  ASSERT_TRUE(roll.ok());
  EXPECT_EQ(roll.value()->total(), 1);
  EXPECT_EQ(roll.value()->batches_total(), 1);
}

// A session dropped while it prepares the backward weights leaves the explainer unprepared (nothing
// half-built is kept); the next gradient session prepares them again and is exact; two sessions
// preparing at once both finish exactly (the second finds them built and skips the rest).
TEST(ExplainSession, DroppedOrConcurrentPreparationOfTheBackwardWeights) {
  if (!testing::HaveShared()) GTEST_SKIP() << "shared assets not found";
  auto model = testing::LoadSharedModel("models/bert-mini-sst2");
  ASSERT_NE(model, nullptr);
  ExplainRequest r = testing::RequestFor(*model, "an utterly charming and hilarious film .", ExplainMethod::kGradXInput);
  Explainer fresh(*model);
  auto reference = fresh.Explain(r, DefaultThreadPool());
  ASSERT_TRUE(reference.ok()) << reference.status().message();
  Explainer explainer(*model);
  {
    auto dropped = explainer.Begin(r, DefaultThreadPool());
    ASSERT_TRUE(dropped.ok());
    ASSERT_TRUE(dropped.value()->Step(5, DefaultThreadPool()).ok());
    EXPECT_EQ(dropped.value()->batches_done(), 5);
  }
  EXPECT_FALSE(explainer.backward_weights().built());
  auto a = explainer.Begin(r, DefaultThreadPool());
  auto b = explainer.Begin(r, DefaultThreadPool());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(b.value()->Step(3, DefaultThreadPool()).ok());
  auto ea = a.value()->Finish(DefaultThreadPool());
  ASSERT_TRUE(ea.ok()) << ea.status().message();
  EXPECT_TRUE(explainer.backward_weights().built());
  auto eb = b.value()->Finish(DefaultThreadPool());
  ASSERT_TRUE(eb.ok()) << eb.status().message();
  ExpectSame(reference.value(), ea.value(), "after a dropped preparation");
  ExpectSame(reference.value(), eb.value(), "preparing concurrently");
}

// LIME's ridge fit in parts of bounded work (WeightedRidgeFit) is bitwise the one-call fit, for any
// cut, including a zero total weight; the cut depends only on the sizes.
TEST(WeightedRidgeFit, PartsAreBitwiseTheOneCallFit) {
  SplitMix64 rng(3);
  for (int32_t rows : {1, 7, 64}) {
    for (int32_t cols : {1, 5, 33}) {
      std::vector<double> x(static_cast<size_t>(rows) * cols), y(static_cast<size_t>(rows)), w(static_cast<size_t>(rows));
      for (double& v : x) v = static_cast<double>(rng.Below(2));
      for (double& v : y) v = static_cast<double>(rng.Below(1000)) / 999.0;
      for (double& v : w) v = 0.1 + static_cast<double>(rng.Below(100)) / 100.0;
      for (bool zero_weight : {false, true}) {
        std::vector<double> ww = w;
        if (zero_weight) std::fill(ww.begin(), ww.end(), 0.0);
        const std::vector<double> whole = WeightedRidge(x, y, ww, rows, cols, 0.7);
        for (int64_t work : {int64_t{1}, int64_t{50}, int64_t{1000}, int64_t{1} << 40}) {
          WeightedRidgeFit fit(rows, cols, 0.7, work);
          EXPECT_EQ(fit.parts(), WeightedRidgeFit(rows, cols, 0.3, work).parts());
          if (work == 1) EXPECT_EQ(fit.parts(), rows + cols + 3);  // every piece a part of its own
          if (work == int64_t{1} << 40) EXPECT_EQ(fit.parts(), 1);
          fit.Start(x, y, ww);
          for (int64_t p = 0; p < fit.parts(); ++p) fit.RunPart(p);
          EXPECT_TRUE(SameBits(whole, fit.coefficients())) << rows << "x" << cols << " work " << work;
        }
      }
    }
  }
}

TEST(ExplainSession, MisuseAndAbandonedSessions) {
  if (!testing::HaveShared()) GTEST_SKIP() << "shared assets not found";
  auto model = testing::LoadSharedModel("models/bert-mini-sst2");
  ASSERT_NE(model, nullptr);
  Explainer explainer(*model);
  ExplainRequest r = testing::RequestFor(*model, "an utterly charming and hilarious film .", ExplainMethod::kIntegratedGradients);
  r.steps = 12;
  r.max_batch_tokens = 2 * static_cast<int32_t>(r.ids.size());
  auto reference = explainer.Explain(r, DefaultThreadPool());
  ASSERT_TRUE(reference.ok());
  const size_t workspace = model->workspace_bytes();
  {
    auto abandoned = explainer.Begin(r, DefaultThreadPool());  // dropped after two batches
    ASSERT_TRUE(abandoned.ok());
    ASSERT_TRUE(abandoned.value()->Step(2, DefaultThreadPool()).ok());
    EXPECT_EQ(abandoned.value()->Step(0, DefaultThreadPool()).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(model->workspace_bytes(), workspace) << "the arena is trimmed when a session is dropped";
  // Two sessions interleaved on one model: each is exact.
  auto a = explainer.Begin(r, DefaultThreadPool());
  ExplainRequest other = r;
  other.method = ExplainMethod::kLime;
  other.samples = 11;
  auto b = explainer.Begin(other, DefaultThreadPool());
  ASSERT_TRUE(a.ok() && b.ok());
  while (a.value()->batches_done() < a.value()->batches_total() || b.value()->batches_done() < b.value()->batches_total()) {
    if (a.value()->batches_done() < a.value()->batches_total()) ASSERT_TRUE(a.value()->Step(1, DefaultThreadPool()).ok());
    if (b.value()->batches_done() < b.value()->batches_total()) ASSERT_TRUE(b.value()->Step(1, DefaultThreadPool()).ok());
  }
  auto ea = a.value()->Finish(DefaultThreadPool());
  auto eb = b.value()->Finish(DefaultThreadPool());
  ASSERT_TRUE(ea.ok() && eb.ok());
  ExpectSame(reference.value(), ea.value(), "interleaved IG");
  auto lime = explainer.Explain(other, DefaultThreadPool());
  ASSERT_TRUE(lime.ok());
  ExpectSame(lime.value(), eb.value(), "interleaved LIME");
  EXPECT_EQ(a.value()->Finish(DefaultThreadPool()).status().code(), StatusCode::kInvalidArgument) << "finished twice";
  EXPECT_EQ(a.value()->Step(1, DefaultThreadPool()).code(), StatusCode::kInvalidArgument) << "step after finish";
  // A bad request fails in Begin, before any batch.
  ExplainRequest bad = r;
  bad.steps = 0;
  EXPECT_EQ(explainer.Begin(bad, DefaultThreadPool()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bt
