// Training (src/train, issue 19). Oracles: central finite differences of the trainer's own loss for
// every trainable tensor kind on the tiny models of every architecture (dense W/b, LayerNorm,
// embeddings, ALBERT's projection and shared layer, LoRA A/B, every head type); torch.optim.AdamW's
// formula and HF's linear schedule computed here in double; resume = an uninterrupted run, bitwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <stdlib.h>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "io/file_store.h"
#include "io/json_util.h"
#include "test_support.h"
#include "train_test_util.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/trainer.h"

namespace bt {
namespace {

using testing::LoadSharedModel;

using namespace train_test;  // Batch, MakeBatch, Options, MakeTrainer, CheckGradients, BatchLoss, Report

class TrainGradients : public ::testing::TestWithParam<Case> {};

TEST_P(TrainGradients, MatchFiniteDifferences) {
  BT_REQUIRE_SHARED();
  const Case c = GetParam();
  auto model = LoadSharedModel(std::string("models/tiny/") + c.model);
  ASSERT_NE(model, nullptr);
  auto t = MakeTrainer(model.get(), Options(c.task, c.layers, c.embeddings, c.extra, "0.5"));
  ASSERT_NE(t, nullptr);
  const bool token = std::string(c.task) == "token";
  Batch b = MakeBatch(token, 3, model->config().type_vocab_size > 1);
  RandomLoraB(*t);
  CheckStats stats;
  CheckGradients(*t, [&] { return BatchLoss(*t, b); }, stats);
  Report(CaseName(c), stats);
}

INSTANTIATE_TEST_SUITE_P(
    Tiny, TrainGradients,
    ::testing::Values(Case{"tiny-bert-bert-maskedlm", "sequence", -1, true, ""},
                      Case{"tiny-bert-bert-sequenceclassification", "token", 1, false, ""},
                      Case{"tiny-bert-bert-tokenclassification", "sequence", 0, false, ",\"lora\":{\"r\":2,\"alpha\":4}"},
                      Case{"tiny-distilbert-distilbert-maskedlm", "token", -1, true, ""},
                      Case{"tiny-distilbert-distilbert-tokenclassification", "token", 0, false, ",\"lora\":{\"r\":2,\"alpha\":4}"},
                      Case{"tiny-roberta-roberta-maskedlm", "sequence", -1, true, ""},
                      Case{"tiny-roberta-roberta-sequenceclassification", "token", 0, false, ",\"lora\":{\"r\":3,\"alpha\":3}"},
                      Case{"tiny-albert-albert-maskedlm", "sequence", -1, true, ""},
                      Case{"tiny-albert-albert-sequenceclassification", "sequence", 0, false, ",\"lora\":{\"r\":2,\"alpha\":4}"}));

// Head-only: the head on the frozen encoder's features (BERT's pooler + classifier, DistilBERT's
// pre_classifier + classifier, RoBERTa's dense + out_proj; token classification's classifier).
TEST(Train, HeadOnlyGradientsOnFeatures) {
  BT_REQUIRE_SHARED();
  for (const char* name : {"tiny-bert-bert-maskedlm", "tiny-distilbert-distilbert-sequenceclassification",
                           "tiny-roberta-roberta-maskedlm", "tiny-albert-albert-maskedlm"}) {
    for (const char* task : {"sequence", "token"}) {
      auto model = LoadSharedModel(std::string("models/tiny/") + name);
      ASSERT_NE(model, nullptr);
      auto t = MakeTrainer(model.get(), Options(task, 0, false, "", "0.5"));
      ASSERT_NE(t, nullptr);
      ASSERT_TRUE(t->head_only());
      const bool token = std::string(task) == "token";
      Batch b = MakeBatch(token, 3, model->config().type_vocab_size > 1);
      auto f = t->Features(b.view());
      ASSERT_TRUE(f.ok()) << f.status().message();
      const int32_t rows = static_cast<int32_t>(f->size() / t->feature_size());
      ASSERT_EQ(rows, token ? b.batch * b.seq : b.batch);
      // The features path and the batch path give the same loss.
      auto direct = t->LossAndGrads(b.view());
      ASSERT_TRUE(direct.ok()) << direct.status().message();
      CheckStats stats;
      CheckGradients(*t, [&] {
        auto r = t->LossAndGradsFeatures(f->data(), rows, b.labels.data());
        EXPECT_TRUE(r.ok());
        return r->loss;
      }, stats, 4, 1e-3);  // the head alone on fixed features: little rounding, ReLU kinks nearby
      auto via = t->LossAndGradsFeatures(f->data(), rows, b.labels.data());
      EXPECT_EQ(direct->loss, via->loss);
      Report(std::string(name) + " " + task + " head only (features)", stats);
    }
  }
}

// One AdamW step (and the step before it, lr 0 during warmup) against torch.optim.AdamW's formula,
// with clipping and decoupled weight decay on weights only.
TEST(Train, AdamWStepMatchesTheFormula) {
  const std::string json =
      "{\"task\":\"sequence\",\"num_labels\":4,\"from_features\":{\"size\":6},\"seed\":5,"
      "\"optimizer\":{\"lr\":0.01,\"weight_decay\":0.1,\"beta1\":0.8,\"beta2\":0.95,\"eps\":1e-6,"
      "\"warmup_steps\":1,\"total_steps\":5,\"max_grad_norm\":0.05}}";
  auto t = MakeTrainer(nullptr, json);
  ASSERT_NE(t, nullptr);
  TrainRng rng(9);
  std::vector<float> f(5 * 6);
  for (float& x : f) x = static_cast<float>(rng.Normal());
  std::vector<int32_t> y = {0, 3, 1, 2, 3};
  const double lr0 = 0.01, wd = 0.1, b1 = 0.8, b2 = 0.95, eps = 1e-6, max_norm = 0.05;
  std::map<std::string, std::vector<double>> p, m, v;
  for (const ParameterInfo& info : t->Parameters()) {
    const int64_t n = info.shape.size() == 2 ? info.shape[0] * info.shape[1] : info.shape[0];
    for (int64_t i = 0; i < n; ++i) p[info.name].push_back(t->GetValue(info.name, i).value());
    m[info.name].assign(n, 0.0);
    v[info.name].assign(n, 0.0);
  }
  for (int step = 1; step <= 3; ++step) {
    auto g = t->LossAndGradsFeatures(f.data(), 5, y.data());
    ASSERT_TRUE(g.ok());
    std::map<std::string, std::vector<double>> grads;
    double sum = 0;
    for (const ParameterInfo& info : t->Parameters()) {
      const std::vector<float> gv = t->Gradient(info.name).value();
      for (float x : gv) {
        grads[info.name].push_back(x);
        sum += static_cast<double>(x) * x;
      }
    }
    const double norm = std::sqrt(sum), clip = std::min(1.0, max_norm / (norm + 1e-6));
    EXPECT_NEAR(g->grad_norm, norm, 1e-9 * norm);
    const double lr = lr0 * (step - 1 < 1 ? (step - 1) / 1.0 : (5.0 - (step - 1)) / 4.0);
    auto r = t->StepFeatures(f.data(), 5, y.data());
    ASSERT_TRUE(r.ok());
    EXPECT_DOUBLE_EQ(r->lr, lr);
    EXPECT_EQ(r->step, step);
    for (const ParameterInfo& info : t->Parameters()) {
      const bool decay = info.name.find("bias") == std::string::npos;
      for (size_t i = 0; i < p[info.name].size(); ++i) {
        const double gi = grads[info.name][i] * clip;
        double& pi = p[info.name][i];
        double& mi = m[info.name][i];
        double& vi = v[info.name][i];
        pi *= 1 - lr * (decay ? wd : 0);
        mi = b1 * mi + (1 - b1) * gi;
        vi = b2 * vi + (1 - b2) * gi * gi;
        const double denom = std::sqrt(vi) / std::sqrt(1 - std::pow(b2, step)) + eps;
        pi -= lr / (1 - std::pow(b1, step)) * mi / denom;
        const double got = t->GetValue(info.name, static_cast<int64_t>(i)).value();
        EXPECT_NEAR(got, pi, 2e-6 * std::max(1.0, std::fabs(pi))) << info.name << "[" << i << "] step " << step;
      }
    }
  }
}

TEST(Train, LinearScheduleAndClipping) {
  EXPECT_DOUBLE_EQ(LinearScheduleFactor(0, 0, 10), 1.0);
  EXPECT_DOUBLE_EQ(LinearScheduleFactor(0, 4, 10), 0.0);
  EXPECT_DOUBLE_EQ(LinearScheduleFactor(2, 4, 10), 0.5);
  EXPECT_DOUBLE_EQ(LinearScheduleFactor(4, 4, 10), 1.0);
  EXPECT_DOUBLE_EQ(LinearScheduleFactor(7, 4, 10), 0.5);
  EXPECT_DOUBLE_EQ(LinearScheduleFactor(12, 4, 10), 0.0);
  std::vector<float> g = {3, 4}, z(2);
  std::vector<OptimizerTensor> ts = {{z.data(), g.data(), z.data(), z.data(), 2, true}};
  EXPECT_DOUBLE_EQ(ClipGradNorm(ts, 1.0), 5.0);
  EXPECT_NEAR(g[0], 3 / (5 + 1e-6), 1e-7);
}

TEST(Train, CrossEntropyMatchesTorchValues) {
  // torch.nn.functional.cross_entropy([[1,2,3],[0,0,0]], [2, -100]) = 0.40760596
  const float logits[] = {1, 2, 3, 0, 0, 0};
  const int32_t labels[] = {2, kIgnoreLabel};
  float d[6];
  auto r = CrossEntropy(logits, labels, 2, 3, d);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->loss, 0.40760596, 1e-7);
  EXPECT_EQ(d[3], 0.0f);
  const int32_t bad[] = {3, 0};
  EXPECT_EQ(CrossEntropy(logits, bad, 2, 3, d).status().code(), StatusCode::kInvalidArgument);
  const int32_t none[] = {kIgnoreLabel, kIgnoreLabel};
  EXPECT_EQ(CrossEntropy(logits, none, 2, 3, d).status().code(), StatusCode::kInvalidArgument);
}

// Resume: 1 step, state, a new trainer loads it, 2 more steps == 3 uninterrupted steps, bitwise.
// And the model is the checkpoint again outside the trainer's calls.
TEST(Train, ResumeIsBitwiseAndTheModelStaysExact) {
  BT_REQUIRE_SHARED();
  for (const char* extra : {"", ",\"lora\":{\"r\":2,\"alpha\":8}"}) {
    auto model = LoadSharedModel("models/tiny/tiny-bert-bert-sequenceclassification");
    ASSERT_NE(model, nullptr);
    ForwardRequest req;
    Batch b0 = MakeBatch(false, 3, true, 1), b1 = MakeBatch(false, 3, true, 2), b2 = MakeBatch(false, 3, true, 3);
    req.batch = b0.batch;
    req.seq = b0.seq;
    req.ids = b0.ids;
    req.type_ids = b0.types;
    req.mask = b0.mask;
    auto before = model->Forward(req);
    ASSERT_TRUE(before.ok());
    const std::string json = Options("sequence", std::string(extra).empty() ? 2 : 0, false, extra);
    auto a = MakeTrainer(model.get(), json);
    std::vector<double> losses;
    for (const Batch* b : {&b0, &b1, &b2}) {
      auto r = a->Step(b->view());
      ASSERT_TRUE(r.ok()) << r.status().message();
      losses.push_back(r->loss);
    }
    EXPECT_LT(losses[2], 10.0);
    auto after = model->Forward(req);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(before->logits, after->logits) << "the model changed outside the trainer";
    auto c = MakeTrainer(model.get(), json);
    ASSERT_TRUE(c->Step(b0.view()).ok());
    const std::vector<uint8_t> state = c->State();
    auto d = MakeTrainer(model.get(), json);
    ASSERT_TRUE(d->LoadState(state.data(), state.size()).ok());
    EXPECT_EQ(d->step(), 1);
    EXPECT_EQ(d->Step(b1.view())->loss, losses[1]);
    EXPECT_EQ(d->Step(b2.view())->loss, losses[2]);
    auto ta = a->Tensors(true), td = d->Tensors(true);
    ASSERT_TRUE(ta.ok() && td.ok());
    ASSERT_EQ(ta->size(), td->size());
    for (size_t i = 0; i < ta->size(); ++i) EXPECT_EQ(ta.value()[i].data, td.value()[i].data) << ta.value()[i].name;
    // A truncated or foreign state is refused and leaves the trainer as it was.
    EXPECT_EQ(d->LoadState(state.data(), state.size() - 4).code(), StatusCode::kInvalidArgument);
    auto other = MakeTrainer(model.get(), Options("sequence", 1, false));
    EXPECT_EQ(other->LoadState(state.data(), state.size()).code(), StatusCode::kInvalidArgument);
  }
}

// Training lowers the loss on a fixed batch (every mode), and the logits call agrees with the loss.
TEST(Train, StepsLowerTheLossInEveryMode) {
  BT_REQUIRE_SHARED();
  auto model = LoadSharedModel("models/tiny/tiny-distilbert-distilbert-maskedlm");
  ASSERT_NE(model, nullptr);
  for (const std::string extra : {std::string(""), std::string(",\"lora\":{\"r\":4,\"alpha\":8}")}) {
    for (int layers : {0, 1, -1}) {
      if (!extra.empty() && layers != 0) continue;
      auto t = MakeTrainer(model.get(), "{\"task\":\"sequence\",\"num_labels\":3,\"layers\":" + std::to_string(layers) + extra +
                                            ",\"optimizer\":{\"lr\":1e-2,\"total_steps\":40}}");
      Batch b = MakeBatch(false, 3, false);
      double first = 0, last = 0;
      for (int i = 0; i < 30; ++i) {
        auto r = t->Step(b.view());
        ASSERT_TRUE(r.ok()) << r.status().message();
        if (i == 0) first = r->loss;
        last = r->loss;
      }
      EXPECT_LT(last, 0.5 * first) << "layers " << layers << extra;
      auto logits = t->Logits(b.view());
      ASSERT_TRUE(logits.ok());
      double ce = 0;
      for (int32_t r = 0; r < b.batch; ++r) {
        const float* z = logits->data() + r * 3;
        const double mx = std::max({z[0], z[1], z[2]});
        ce += std::log(std::exp(z[0] - mx) + std::exp(z[1] - mx) + std::exp(z[2] - mx)) + mx - z[b.labels[r]];
      }
      EXPECT_NEAR(ce / b.batch, t->LossAndGrads(b.view())->loss, 1e-5);
    }
  }
}

TEST(Train, OptionAndInputErrors) {
  for (const char* bad : {"{\"task\":\"qa\",\"num_labels\":2,\"optimizer\":{\"total_steps\":1}}",
                          "{\"num_labels\":1,\"optimizer\":{\"total_steps\":1}}",
                          "{\"num_labels\":2}",
                          "{\"num_labels\":2,\"optimizer\":{\"total_steps\":0}}",
                          "{\"num_labels\":2,\"optimizer\":{\"lr\":\"NaN\",\"total_steps\":3}}",
                          "{\"num_labels\":2,\"optimizer\":{\"lr\":-1,\"total_steps\":3}}",
                          "{\"num_labels\":2,\"layers\":2,\"lora\":{\"r\":2},\"optimizer\":{\"total_steps\":3}}",
                          "not json"}) {
    auto o = ParseTrainerOptions(bad);
    EXPECT_FALSE(o.ok()) << bad;
    if (!o.ok()) EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  BT_REQUIRE_SHARED();
  auto model = LoadSharedModel("models/tiny/tiny-bert-bert-maskedlm");
  ASSERT_NE(model, nullptr);
  auto o = ParseTrainerOptions(Options("sequence", 9, false));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(Trainer::Create(model.get(), o.value()).status().code(), StatusCode::kInvalidArgument);
  // q8 weights: a head trains, layers do not.
  LoadOptions q8;
  q8.quantize_int8 = true;
  auto quantized = LoadSharedModel("models/tiny/tiny-bert-bert-maskedlm", q8);
  ASSERT_NE(quantized, nullptr);
  EXPECT_EQ(Trainer::Create(quantized.get(), ParseTrainerOptions(Options("sequence", 1, false)).value()).status().code(),
            StatusCode::kUnsupported);
  auto head = MakeTrainer(quantized.get(), Options("sequence", 0, false));
  ASSERT_NE(head, nullptr);
  EXPECT_TRUE(head->Step(MakeBatch(false, 3, true).view()).ok());
  auto t = MakeTrainer(model.get(), Options("sequence", 1, false));
  Batch b = MakeBatch(false, 3, true);
  b.labels[1] = 3;
  EXPECT_EQ(t->Step(b.view()).status().code(), StatusCode::kInvalidArgument);
  b.labels[1] = 0;
  b.ids[4] = 5000;
  EXPECT_EQ(t->Step(b.view()).status().code(), StatusCode::kInvalidArgument);
  b.ids[4] = 5;
  auto ok = t->Step(b.view());
  EXPECT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(t->step(), 1);
}

// A float32 safetensors file of `tensors`.
std::string Safetensors(const std::vector<NamedTensor>& tensors) {
  std::string header = "{";
  int64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    std::string dims;
    for (int64_t d : t.shape) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    const int64_t bytes = static_cast<int64_t>(t.data.size()) * 4;
    header += (header.size() > 1 ? "," : "") + std::string("\"") + t.name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  std::string out(8, '\0');
  const uint64_t len = header.size();
  std::memcpy(out.data(), &len, 8);
  out += header;
  for (const NamedTensor& t : tensors) out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
  return out;
}

// tensors("all") is a Hugging Face *ForSequenceClassification / *ForTokenClassification checkpoint:
// the engine's own loader (which reads HF names and shapes) loads it and predicts what the trainer does.
TEST(Train, ExportedCheckpointReloadsWithTheSameLogits) {
  BT_REQUIRE_SHARED();
  struct Export {
    const char* model;
    const char* task;
    const char* extra;
  };
  for (const Export& c : {Export{"tiny-bert-bert-maskedlm", "sequence", ",\"layers\":1"},
                          Export{"tiny-bert-bert-sequenceclassification", "token", ",\"layers\":-1,\"embeddings\":true"},
                          Export{"tiny-distilbert-distilbert-maskedlm", "sequence", ",\"layers\":2"},
                          Export{"tiny-roberta-roberta-maskedlm", "sequence", ",\"lora\":{\"r\":2,\"alpha\":4}"},
                          Export{"tiny-albert-albert-maskedlm", "sequence", ",\"layers\":1,\"embeddings\":true"},
                          Export{"tiny-albert-albert-sequenceclassification", "token", ""}}) {
    const std::string dir = std::string("models/tiny/") + c.model;
    auto model = LoadSharedModel(dir);
    ASSERT_NE(model, nullptr);
    auto t = MakeTrainer(model.get(), std::string("{\"task\":\"") + c.task + "\",\"num_labels\":3" + c.extra +
                                          ",\"optimizer\":{\"lr\":1e-2,\"total_steps\":10}}");
    ASSERT_NE(t, nullptr);
    const bool token = std::string(c.task) == "token";
    Batch b = MakeBatch(token, 3, model->config().type_vocab_size > 1);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(t->Step(b.view()).ok());
    auto all = t->Tensors(false);
    ASSERT_TRUE(all.ok());
    auto files = ReadDirectory(testing::SharedPath(dir));
    ASSERT_TRUE(files.ok());
    auto config_text = files->ReadText("config.json");
    ASSERT_TRUE(config_text.ok());
    Json config = Json::parse(config_text.value());
    std::string arch = config["architectures"][0];
    arch = arch.substr(0, arch.find("For")) + (token ? "ForTokenClassification" : "ForSequenceClassification");
    config["architectures"] = Json::array({arch});
    config["id2label"] = Json::object({{"0", "A"}, {"1", "B"}, {"2", "C"}});
    config["label2id"] = Json::object({{"A", 0}, {"B", 1}, {"C", 2}});
    FileStore saved;
    ASSERT_TRUE(saved.Put("config.json", config.dump()).ok());
    ASSERT_TRUE(saved.Put("model.safetensors", Safetensors(all.value())).ok());
    auto reloaded = Model::Load(saved);
    ASSERT_TRUE(reloaded.ok()) << c.model << ": " << reloaded.status().message();
    ForwardRequest req;
    req.batch = b.batch;
    req.seq = b.seq;
    req.ids = b.ids;
    req.type_ids = b.types;
    req.mask = b.mask;
    auto out = reloaded.value()->Forward(req);
    ASSERT_TRUE(out.ok()) << out.status().message();
    auto logits = t->Logits(b.view());
    ASSERT_TRUE(logits.ok());
    ASSERT_EQ(out->logits.size(), logits->size()) << c.model;
    for (size_t i = 0; i < logits->size(); ++i) EXPECT_NEAR(out->logits[i], logits.value()[i], 1e-5) << c.model << " " << i;
    // 'trained' holds what changed: every tensor it names is in the full export with the same values.
    auto trained = t->Tensors(true);
    ASSERT_TRUE(trained.ok());
    for (const NamedTensor& x : trained.value()) {
      bool found = false;
      for (const NamedTensor& y : all.value()) found = found || (y.name == x.name && y.data == x.data && y.shape == x.shape);
      EXPECT_TRUE(found) << x.name;
    }
  }
}

// Every gradient of a BERT and a DistilBERT (all layers, embeddings, head) against torch autograd in
// float64 (tests/native/torch_train_oracle.py, Debian's python3-torch): the whole vectors, not only
// their largest components. Skips when /usr/bin/python3 has no torch.
TEST(Train, GradientsMatchTorchAutograd) {
  BT_REQUIRE_SHARED();
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3-torch absent";
  const std::string script = std::string(BERTOLOGY_SOURCE_DIR) + "/tests/native/torch_train_oracle.py";
  struct TorchCase {
    const char* model;
    const char* task;
  };
  // DistilBERT's sequence head has a ReLU, where finite differences are unreliable: autograd is exact.
  for (const TorchCase c : {TorchCase{"tiny-bert-bert-maskedlm", "sequence"}, TorchCase{"tiny-bert-bert-maskedlm", "token"},
                            TorchCase{"tiny-distilbert-distilbert-sequenceclassification", "sequence"}}) {
    const char* task = c.task;
    const std::string folder = std::string("models/tiny/") + c.model;
    auto model = LoadSharedModel(folder);
    ASSERT_NE(model, nullptr);
    auto t = MakeTrainer(model.get(), std::string("{\"task\":\"") + task +
                                          "\",\"num_labels\":3,\"layers\":-1,\"embeddings\":true,\"optimizer\":{\"total_steps\":5}}");
    ASSERT_NE(t, nullptr);
    const bool token = std::string(task) == "token";
    Batch b = MakeBatch(token, 3, model->config().type_vocab_size > 1);
    auto r = t->LossAndGrads(b.view());
    ASSERT_TRUE(r.ok());
    char dir_template[] = "/tmp/bt-train-torch-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    const std::string dir = dir_template;
    auto all = t->Tensors(false);
    ASSERT_TRUE(all.ok());
    std::ofstream(dir + "/model.safetensors", std::ios::binary) << Safetensors(all.value());
    std::ofstream(dir + "/config.json") << testing::ReadFileOrFail(testing::SharedPath(folder + "/config.json"));
    Json job = {{"batch", b.batch}, {"seq", b.seq}, {"ids", b.ids}, {"mask", b.mask}, {"types", b.types},
                {"labels", b.labels}, {"task", task}};
    std::ofstream(dir + "/batch.json") << job.dump();
    ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + dir).c_str()), 0);
    Json oracle = Json::parse(testing::ReadFileOrFail(dir + "/grads.json"));
    EXPECT_NEAR(r->loss, oracle["loss"].get<double>(), 1e-6 * std::fabs(oracle["loss"].get<double>()));
    double worst = 0;
    std::string worst_name;
    int tensors = 0;
    for (const ParameterInfo& p : t->Parameters()) {
      ASSERT_TRUE(oracle["grads"].contains(p.name)) << p.name;
      const std::vector<double> want = oracle["grads"][p.name].get<std::vector<double>>();
      const std::vector<float> got = t->Gradient(p.name).value();
      ASSERT_EQ(want.size(), got.size()) << p.name;
      double scale = 0, err = 0;
      for (double x : want) scale = std::max(scale, std::fabs(x));
      for (size_t i = 0; i < got.size(); ++i) err = std::max(err, std::fabs(got[i] - want[i]));
      // A gradient that is 0 in exact arithmetic (the key bias) is compared to the largest of all.
      const double rel = err / std::max(scale, 1e-7);
      if (scale > 1e-9) {
        EXPECT_LE(rel, 1e-3) << p.name << ": max |engine - torch| " << err << " of max |torch| " << scale;
        if (rel > worst) {
          worst = rel;
          worst_name = p.name;
        }
      }
      ++tensors;
    }
    std::printf("[torch] %s %s, all layers + embeddings: loss %.9f vs torch %.9f; %d tensors, worst max-abs error / max |grad| %.2e (%s)\n",
                c.model, task, r->loss, oracle["loss"].get<double>(), tensors, worst, worst_name.c_str());
    std::system(("rm -rf " + dir).c_str());
  }
}

}  // namespace
}  // namespace bt
