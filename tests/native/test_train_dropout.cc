// Training levers beyond the first trainer (issue 19): dropout in the training forward, a separate
// learning rate for the head, LoRA on more projections (PEFT's target_modules). Oracles: central finite
// differences of the trainer's own loss with the dropout mask held fixed (the same step, the same key);
// torch.nn.Dropout's definition (keep with 1 − p, scale 1/(1 − p)); torch.optim.AdamW's formula with two
// parameter groups computed here in double; the trainer without the option (p = 0 is bitwise it).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/dropout.h"
#include "test_support.h"
#include "train/optimizer.h"
#include "train/trainer.h"
#include "train_test_util.h"

namespace bt {
namespace {

using testing::LoadSharedModel;
using namespace train_test;

TEST(TrainDropout, MaskKeepsOneMinusPAndScales) {
  for (const float p : {0.1f, 0.5f}) {
    const int64_t n = 1 << 20;
    std::vector<float> x(n, 1.0f);
    ApplyDropout(12345, 17, p, x.data(), n);
    int64_t kept = 0;
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(x[i] == 0.0f || x[i] == scale) << i;
      kept += x[i] != 0.0f;
      ASSERT_EQ(x[i] != 0.0f, DropoutKept(12345, 17, p, i));
    }
    // Binomial(n, 1 − p): 6 standard deviations.
    const double sd = std::sqrt(n * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(kept), n * (1.0 - p), 6 * sd) << "p " << p;
    // Another site or key gives another mask (about p·(1 − p)·2 of the values differ).
    int64_t differ_site = 0, differ_key = 0;
    for (int64_t i = 0; i < 4096; ++i) {
      differ_site += DropoutKept(12345, 17, p, i) != DropoutKept(12345, 18, p, i);
      differ_key += DropoutKept(12345, 17, p, i) != DropoutKept(12346, 17, p, i);
    }
    EXPECT_GT(differ_site, 4096 * p * (1 - p));
    EXPECT_GT(differ_key, 4096 * p * (1 - p));
  }
  // out = residual + drop(out)
  std::vector<float> out = {1, 2, 3, 4, 5, 6, 7, 8}, residual = {10, 20, 30, 40, 50, 60, 70, 80};
  std::vector<float> dropped = out;
  ApplyDropout(7, 3, 0.5f, dropped.data(), 8);
  DropoutResidual(7, 3, 0.5f, residual.data(), out.data(), 8);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], residual[i] + dropped[i]);
}

class TrainDropoutGradients : public ::testing::TestWithParam<Case> {};

// The mask is a function of the seed and the step: LossAndGrads (no step) sees one mask, so the loss is
// a smooth function of the parameters and its gradient must match finite differences.
TEST_P(TrainDropoutGradients, MatchFiniteDifferences) {
  BT_REQUIRE_SHARED();
  const Case c = GetParam();
  auto model = LoadSharedModel(std::string("models/tiny/") + c.model);
  ASSERT_NE(model, nullptr);
  auto t = MakeTrainer(model.get(), Options(c.task, c.layers, c.embeddings, c.extra, "0.5"));
  ASSERT_NE(t, nullptr);
  const bool token = std::string(c.task) == "token";
  Batch b = MakeBatch(token, 3, model->config().type_vocab_size > 1);
  RandomLoraB(*t);
  // Dropout is on: the training loss differs from the one without (same weights, same batch).
  auto plain = MakeTrainer(model.get(), Options(c.task, c.layers, c.embeddings, "", "0.5"));
  if (std::string(c.extra).find("lora") == std::string::npos) {
    EXPECT_NE(BatchLoss(*t, b), BatchLoss(*plain, b)) << "dropout changed nothing";
  }
  CheckStats stats;
  CheckGradients(*t, [&] { return BatchLoss(*t, b); }, stats);
  Report(CaseName(c), stats);
}

#define DROPOUT ",\"dropout\":{\"hidden\":0.2,\"attention\":0.25,\"classifier\":0.3}"
INSTANTIATE_TEST_SUITE_P(
    Tiny, TrainDropoutGradients,
    ::testing::Values(Case{"tiny-bert-bert-maskedlm", "sequence", -1, true, DROPOUT},
                      Case{"tiny-bert-bert-sequenceclassification", "token", 1, false, DROPOUT},
                      Case{"tiny-distilbert-distilbert-maskedlm", "token", -1, true, DROPOUT},
                      Case{"tiny-roberta-roberta-maskedlm", "sequence", 2, false, DROPOUT},
                      Case{"tiny-albert-albert-maskedlm", "sequence", -1, true, DROPOUT},
                      // LoRA on every projection PEFT can name (+ dropout in the frozen layers it crosses)
                      Case{"tiny-bert-bert-tokenclassification", "sequence", 0, false,
                           ",\"lora\":{\"r\":2,\"alpha\":4,\"target_modules\":[\"query\",\"key\",\"value\",\"dense\"]}" DROPOUT},
                      Case{"tiny-distilbert-distilbert-tokenclassification", "token", 0, false,
                           ",\"lora\":{\"r\":2,\"alpha\":4,\"target_modules\":[\"k_lin\",\"out_lin\",\"lin1\",\"lin2\"]}"},
                      Case{"tiny-roberta-roberta-sequenceclassification", "sequence", 0, false,
                           ",\"lora\":{\"r\":3,\"alpha\":3,\"target_modules\":[\"key\",\"intermediate.dense\"]}" DROPOUT},
                      // no adapter on q|k|v: the frozen fused projection still passes the gradient down
                      Case{"tiny-albert-albert-sequenceclassification", "token", 0, false,
                           ",\"lora\":{\"r\":2,\"alpha\":4,\"target_modules\":[\"dense\"]}" DROPOUT}));

// p = 0 takes no dropout code: losses, gradients and logits are bitwise the trainer without the option;
// with p > 0 the logits (evaluation: no dropout) are still bitwise those of the trainer without it.
TEST(TrainDropout, ZeroIsBitwiseTheCurrentPathAndLogitsHaveNone) {
  BT_REQUIRE_SHARED();
  auto model = LoadSharedModel("models/tiny/tiny-bert-bert-maskedlm");
  ASSERT_NE(model, nullptr);
  const Batch b = MakeBatch(false, 3, true);
  for (const char* extra : {"", ",\"lora\":{\"r\":2,\"alpha\":4}"}) {
    const int layers = std::string(extra).empty() ? -1 : 0;
    auto plain = MakeTrainer(model.get(), Options("sequence", layers, false, extra));
    auto zero = MakeTrainer(model.get(), Options("sequence", layers, false, std::string(extra) + ",\"dropout\":{\"hidden\":0,\"classifier\":0}"));
    auto on = MakeTrainer(model.get(), Options("sequence", layers, false, std::string(extra) + ",\"dropout\":{\"hidden\":0.1}"));
    ASSERT_TRUE(plain && zero && on);
    for (int step = 0; step < 3; ++step) {
      auto a = plain->LossAndGrads(b.view());
      auto z = zero->LossAndGrads(b.view());
      ASSERT_TRUE(a.ok() && z.ok());
      EXPECT_EQ(a->loss, z->loss);
      for (const ParameterInfo& p : plain->Parameters()) EXPECT_EQ(plain->Gradient(p.name).value(), zero->Gradient(p.name).value()) << p.name;
      EXPECT_EQ(plain->Logits(b.view()).value(), zero->Logits(b.view()).value());
      ASSERT_TRUE(plain->Step(b.view()).ok());
      ASSERT_TRUE(zero->Step(b.view()).ok());
    }
    // Evaluation runs without dropout: before any step the weights agree, so the logits do, bitwise.
    auto fresh = MakeTrainer(model.get(), Options("sequence", layers, false, extra));
    EXPECT_EQ(fresh->Logits(b.view()).value(), on->Logits(b.view()).value());
    // Training does drop: the same weights and batch give another loss (each site alone too).
    EXPECT_NE(on->LossAndGrads(b.view())->loss, fresh->LossAndGrads(b.view())->loss);
    for (const char* site : {"{\"attention\":0.3}", "{\"classifier\":0.3}"}) {
      auto one = MakeTrainer(model.get(), Options("sequence", layers, false, std::string(extra) + ",\"dropout\":" + site));
      EXPECT_NE(one->LossAndGrads(b.view())->loss, fresh->LossAndGrads(b.view())->loss) << site;
    }
  }
}

// Dropout masks come from the seed and the step: a resumed run continues bit for bit.
TEST(TrainDropout, ResumeIsBitwise) {
  BT_REQUIRE_SHARED();
  auto model = LoadSharedModel("models/tiny/tiny-bert-bert-sequenceclassification");
  ASSERT_NE(model, nullptr);
  const std::string json = Options("sequence", 2, false, ",\"dropout\":{\"hidden\":0.1,\"classifier\":0.1}");
  Batch b0 = MakeBatch(false, 3, true, 1), b1 = MakeBatch(false, 3, true, 2);
  auto a = MakeTrainer(model.get(), json);
  ASSERT_TRUE(a->Step(b0.view()).ok());
  const std::vector<uint8_t> state = a->State();
  const double want = a->Step(b1.view())->loss;
  auto d = MakeTrainer(model.get(), json);
  ASSERT_TRUE(d->LoadState(state.data(), state.size()).ok());
  EXPECT_EQ(d->Step(b1.view())->loss, want);
}

// optimizer.head_lr: two torch param groups on one schedule — the head's step uses lr_t·head_lr/lr.
TEST(TrainHeadLr, AdamWStepUsesTheHeadRate) {
  OptimizerOptions o;
  o.lr = 1e-3;
  o.head_lr = 4e-3;
  o.weight_decay = 0.1;
  std::vector<float> w = {0.5f, -0.25f}, g = {0.3f, -0.2f}, m(2, 0.0f), v(2, 0.0f);
  std::vector<float> hw = w, hg = g, hm(2, 0.0f), hv(2, 0.0f);
  std::vector<OptimizerTensor> tensors = {{w.data(), g.data(), m.data(), v.data(), 2, true, false},
                                          {hw.data(), hg.data(), hm.data(), hv.data(), 2, true, true}};
  const double lr_t = 0.5e-3;  // a scheduled rate (half of lr)
  AdamWStep(tensors, o, lr_t, 1);
  for (int i = 0; i < 2; ++i) {
    const double w0 = i == 0 ? 0.5 : -0.25, g0 = i == 0 ? 0.3 : -0.2;
    for (const auto& [rate, got] : {std::pair{lr_t, w[i]}, std::pair{lr_t * 4, hw[i]}}) {
      // Step 1: m̂ = g, v̂ = g², so the step is rate·g/(|g| + eps) after the decay p·(1 − rate·wd).
      const double want = w0 * (1 - rate * 0.1) - rate * g0 / (std::fabs(g0) + o.eps);
      EXPECT_NEAR(got, want, 1e-7) << "rate " << rate;
    }
  }
}

TEST(TrainHeadLr, OnlyTheHeadMovesFasterInATrainer) {
  BT_REQUIRE_SHARED();
  auto model = LoadSharedModel("models/tiny/tiny-bert-bert-sequenceclassification");
  ASSERT_NE(model, nullptr);
  const Batch b = MakeBatch(false, 3, true);
  auto base = MakeTrainer(model.get(), Options("sequence", 1, false));
  const std::string fast = "{\"task\":\"sequence\",\"num_labels\":3,\"layers\":1,\"embeddings\":false,"
                           "\"optimizer\":{\"lr\":1e-3,\"head_lr\":1e-2,\"total_steps\":10},\"seed\":3,\"initializer_range\":0.02}";
  auto head = MakeTrainer(model.get(), fast);
  ASSERT_TRUE(base && head);
  ASSERT_TRUE(base->Step(b.view()).ok() && head->Step(b.view()).ok());
  // Step 0 of a schedule without warmup has lr_t = lr: every moved value moves by ≈ lr_t (Adam's first step).
  for (const ParameterInfo& p : base->Parameters()) {
    const bool is_head = p.name.rfind("classifier", 0) == 0 || p.name.find("pooler") != std::string::npos;
    const float a = base->GetValue(p.name, 0).value(), h = head->GetValue(p.name, 0).value();
    if (is_head) {
      EXPECT_NE(a, h) << p.name;
    } else {
      EXPECT_EQ(a, h) << p.name << ": a non-head tensor must move at lr";
    }
  }
}

TEST(TrainLoraTargets, ErrorsAndExportNames) {
  BT_REQUIRE_SHARED();
  auto model = LoadSharedModel("models/tiny/tiny-bert-bert-sequenceclassification");
  ASSERT_NE(model, nullptr);
  for (const char* bad : {",\"lora\":{\"r\":2,\"target_modules\":[\"nope\"]}", ",\"lora\":{\"r\":2,\"target_modules\":[]}",
                          ",\"lora\":{\"r\":2,\"target_modules\":\"query\"}", ",\"dropout\":{\"hidden\":1}",
                          ",\"dropout\":{\"classifier\":-0.1}"}) {
    auto o = ParseTrainerOptions(Options("sequence", 0, false, bad));
    Status s = o.ok() ? Trainer::Create(model.get(), o.value()).status() : o.status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(s.message().empty());
  }
  auto t = MakeTrainer(model.get(), Options("sequence", 0, false, ",\"lora\":{\"r\":2,\"target_modules\":[\"key\",\"output.dense\"]}"));
  ASSERT_NE(t, nullptr);
  std::vector<std::string> names;
  for (const ParameterInfo& p : t->Parameters()) names.push_back(p.name);
  auto has = [&](const std::string& part) {
    for (const std::string& n : names) {
      if (n.find(part) != std::string::npos) return true;
    }
    return false;
  };
  // PEFT's suffix match: "output.dense" is both attention.output.dense and (FFN) output.dense.
  EXPECT_TRUE(has("attention.self.key.lora_A.weight"));
  EXPECT_TRUE(has("attention.output.dense.lora_B.weight"));
  EXPECT_TRUE(has("layer.0.output.dense.lora_A.weight"));
  EXPECT_FALSE(has("query.lora_A"));
  EXPECT_FALSE(has("intermediate.dense.lora_A"));
  // A step moves the key's B; the exported (merged) trained tensors hold the adapted modules only.
  Batch b = MakeBatch(false, 3, true);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(t->Step(b.view()).ok());
  auto tensors = t->Tensors(true);
  ASSERT_TRUE(tensors.ok());
  bool key = false, query = false, out = false, inter = false;
  for (const NamedTensor& n : tensors.value()) {
    key |= n.name.find("attention.self.key.weight") != std::string::npos;
    query |= n.name.find("attention.self.query.weight") != std::string::npos;
    out |= n.name.find("attention.output.dense.weight") != std::string::npos;
    inter |= n.name.find("intermediate.dense.weight") != std::string::npos;
  }
  EXPECT_TRUE(key && out);
  EXPECT_FALSE(query || inter);
}

}  // namespace
}  // namespace bt
