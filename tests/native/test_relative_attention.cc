// Relative-position attention (models/blocks/relative_attention.h): MPNet and DeBERTa-v2/v3 models in
// ../shared/models/tiny-v2 reproduce Hugging Face's outputs (reference.safetensors, made by HF's own
// modelling code) — every layer's hidden states, attention probabilities (padded rows as HF defines
// them) and the head's outputs — within 1e-5 × max(1, max|ref|) at 1 and 2 threads; the explanation
// backward through these blocks agrees with finite differences; q8 loads and roughly agrees.
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/thread_pool.h"
#include "io/file_store.h"
#include "explain_test_util.h"
#include "models/blocks/relative_attention.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

std::vector<std::string> RelativeModels() {
  std::vector<std::string> names;
  if (DIR* dir = opendir(testing::SharedPath("models/tiny-v2").c_str())) {
    while (dirent* e = readdir(dir)) {
      const std::string n = e->d_name;
      if (n.rfind("mpnet-", 0) == 0 || n.rfind("deberta-v2-", 0) == 0) names.push_back(n);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

double MaxAbs(const std::vector<float>& v) {
  double m = 0.0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

// max|ours − ref| / max(1, max|ref|), with a size check.
double RelErr(const std::vector<float>& ours, const testing::ReferenceTensor& ref, const std::string& what) {
  return testing::MaxAbsDiff(ours, ref.f32, what) / std::max(1.0, MaxAbs(ref.f32));
}

ForwardRequest RequestFrom(std::map<std::string, testing::ReferenceTensor>& ref) {
  ForwardRequest request;
  const auto& ids = ref["input_ids"];
  request.batch = static_cast<int32_t>(ids.shape[0]);
  request.seq = static_cast<int32_t>(ids.shape[1]);
  request.ids = ids.i32;
  request.mask = ref["attention_mask"].i32;
  if (ref.count("token_type_ids")) request.type_ids = ref["token_type_ids"].i32;
  return request;
}

void CheckModel(const std::string& name, int threads) {
  SCOPED_TRACE(name + " threads=" + std::to_string(threads));
  SetNumThreads(threads);
  const std::string dir = testing::SharedPath("models/tiny-v2/" + name);
  auto ref = testing::ReadReference(dir + "/reference.safetensors");
  auto model = testing::LoadSharedModel("models/tiny-v2/" + name);
  ASSERT_NE(model, nullptr);
  ForwardRequest request = RequestFrom(ref);
  request.output_hidden_states = request.output_attentions = true;
  auto out = model->Forward(request);
  ASSERT_TRUE(out.ok()) << out.status().message();
  constexpr double kTol = 1e-5;
  double head = 0.0;
  if (ref.count("logits")) head = std::max(head, RelErr(out->logits, ref["logits"], "logits"));
  if (ref.count("start_logits")) {
    head = std::max(head, RelErr(out->start_logits, ref["start_logits"], "start_logits"));
    head = std::max(head, RelErr(out->end_logits, ref["end_logits"], "end_logits"));
  }
  if (ref.count("last_hidden_state")) {
    head = std::max(head, RelErr(out->last_hidden_state, ref["last_hidden_state"], "last_hidden_state"));
  }
  if (ref.count("pooler_output")) head = std::max(head, RelErr(out->pooled, ref["pooler_output"], "pooler_output"));
  const double hidden = RelErr(out->hidden_states, ref["hidden_states"], "hidden_states");
  const double attn = RelErr(out->attentions, ref["attentions"], "attentions");
  EXPECT_LE(head, kTol);
  EXPECT_LE(hidden, kTol);
  EXPECT_LE(attn, kTol);
  std::printf("  %-44s threads=%d  head %.2e  hidden %.2e  attentions %.2e  (max|ref| hidden %.1f)\n", name.c_str(),
              threads, head, hidden, attn, MaxAbs(ref["hidden_states"].f32));
  // Without hidden states and attentions the pruned path (the head's rows only in the last layer) gives
  // the same head outputs.
  ForwardRequest plain = RequestFrom(ref);
  plain.output_last_hidden_state = false;
  auto pruned = model->Forward(plain);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  EXPECT_EQ(pruned->logits, out->logits);
  EXPECT_EQ(pruned->start_logits, out->start_logits);
}

TEST(RelativeAttention, TinyV2ModelsMatchHuggingFace) {
  BT_REQUIRE_SHARED();
  const auto models = RelativeModels();
  ASSERT_EQ(models.size(), 13u);  // 5 MPNet + 8 DeBERTa-v2
  for (int threads : {1, 2}) {
    for (const std::string& name : models) CheckModel(name, threads);
  }
  SetNumThreads(1);
}

// BERT position_embedding_type relative_key / relative_key_query: no checkpoint in ../shared has them,
// so the oracle is a self-written torch transcription of Hugging Face's BertSelfAttention math
// (tools/bert_relative_oracle.py, Debian python3-torch), its outputs in tests/fixtures/bert-relative.
std::string FixtureDir(const std::string& name) {
  std::string file = __FILE__;  // <repo>/tests/native/test_relative_attention.cc
  return file.substr(0, file.rfind("/tests/native/")) + "/tests/fixtures/bert-relative/" + name;
}

TEST(RelativeAttention, BertRelativeKeyMatchesTorchTranscription) {
  for (const std::string name : {"relative_key-seqcls", "relative_key_query-tokcls"}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(name + " threads=" + std::to_string(threads));
      SetNumThreads(threads);
      auto files = ReadDirectory(FixtureDir(name));
      ASSERT_TRUE(files.ok()) << files.status().message();
      auto ref = testing::ReadReference(FixtureDir(name) + "/reference.safetensors");
      files->Erase("reference.safetensors");
      auto model = Model::Load(files.value());
      ASSERT_TRUE(model.ok()) << model.status().message();
      ForwardRequest request = RequestFrom(ref);
      request.output_hidden_states = request.output_attentions = true;
      auto out = model.value()->Forward(request);
      ASSERT_TRUE(out.ok()) << out.status().message();
      const double head = RelErr(out->logits, ref["logits"], "logits");
      const double hidden = RelErr(out->hidden_states, ref["hidden_states"], "hidden_states");
      const double attn = RelErr(out->attentions, ref["attentions"], "attentions");
      std::printf("  %-44s threads=%d  head %.2e  hidden %.2e  attentions %.2e\n", name.c_str(), threads, head, hidden,
                  attn);
      EXPECT_LE(head, 1e-5);
      EXPECT_LE(hidden, 1e-5);
      EXPECT_LE(attn, 1e-5);
      if (threads == 1) {
        BackwardWeights bw;
        ASSERT_TRUE(bw.Build(model.value()->parts().encoder).ok());
        SequenceInput in;
        in.seq = request.seq;
        in.ids.assign(request.ids.begin() + request.seq, request.ids.begin() + 2 * request.seq);
        in.mask.assign(request.mask.begin() + request.seq, request.mask.begin() + 2 * request.seq);
        in.type_ids.assign(request.type_ids.begin() + request.seq, request.type_ids.begin() + 2 * request.seq);
        const Target target = model.value()->head() == HeadKind::kSequenceClassification
                                  ? Target{1, -1, TargetOutput::kProbability}
                                  : Target{2, 3, TargetOutput::kProbability};
        const auto r = testing::CheckFiniteDifferences(model.value()->parts(), bw, in, target, 24, {1e-2}, 5);
        std::printf("  %-44s finite differences: checked %d  max rel %.2e  vector %.2e\n", name.c_str(), r.checked,
                    r.max_relative, r.vector_relative);
        EXPECT_GE(r.checked, 10);
        EXPECT_LE(r.vector_relative, 1e-3);
      }
    }
  }
  SetNumThreads(1);
}

// Bucket functions against values printed by torch 1.13 running Hugging Face's own functions
// (MPNetEncoder.relative_position_bucket and deberta_v2's make_log_bucket_position, copied verbatim):
//   python3 tools/relative_buckets_oracle.py
TEST(RelativeAttention, BucketsMatchTorch) {
  // MPNet: relative_position (key − query) -> bucket, num_buckets 32, max_distance 128.
  const std::vector<std::pair<int32_t, int32_t>> mpnet = {
#include "relative_buckets_mpnet.inc"
  };
  for (const auto& [r, bucket] : mpnet) EXPECT_EQ(MpnetBucket(r, 32, 128), bucket) << "relative position " << r;
  // DeBERTa: (relative position, bucket_size, max_position) -> bucket.
  struct Case {
    int32_t r, buckets, max_position, bucket;
  };
  const std::vector<Case> deberta = {
#include "relative_buckets_deberta.inc"
  };
  for (const Case& c : deberta) {
    EXPECT_EQ(DebertaLogBucket(c.r, c.buckets, c.max_position), c.bucket)
        << "r " << c.r << " buckets " << c.buckets << " max " << c.max_position;
  }
}

// Gradients w.r.t. the word embeddings through the relative blocks agree with central finite
// differences of our own forward (rows 1 and 2: padded; DeBERTa's padded rows are uniform).
TEST(RelativeAttention, FiniteDifferencesOnEveryHead) {
  BT_REQUIRE_SHARED();
  for (const std::string& name : RelativeModels()) {
    auto model = testing::LoadSharedModel("models/tiny-v2/" + name);
    ASSERT_NE(model, nullptr);
    const ModelParts& parts = model->parts();
    if (parts.head == HeadKind::kBase) continue;
    BackwardWeights bw;
    ASSERT_TRUE(bw.Build(parts.encoder).ok());
    auto ref = testing::ReadReference(testing::SharedPath("models/tiny-v2/" + name + "/reference.safetensors"));
    const int32_t batch = static_cast<int32_t>(ref["input_ids"].shape[0]);
    const int32_t seq = static_cast<int32_t>(ref["input_ids"].shape[1]);
    for (int32_t b : {0, batch - 1}) {  // full, and the most padded row
      SequenceInput in;
      in.seq = seq;
      in.ids.assign(ref["input_ids"].i32.begin() + b * seq, ref["input_ids"].i32.begin() + (b + 1) * seq);
      in.mask.assign(ref["attention_mask"].i32.begin() + b * seq, ref["attention_mask"].i32.begin() + (b + 1) * seq);
      if (ref.count("token_type_ids")) {
        in.type_ids.assign(ref["token_type_ids"].i32.begin() + b * seq, ref["token_type_ids"].i32.begin() + (b + 1) * seq);
      }
      std::vector<Target> targets;
      switch (parts.head) {
        case HeadKind::kSequenceClassification:
          targets = {{1, -1, TargetOutput::kProbability}, {0, -1, TargetOutput::kLogit}};
          break;
        case HeadKind::kTokenClassification: targets = {{2, 3, TargetOutput::kProbability}}; break;
        case HeadKind::kMaskedLm: targets = {{17, 4, TargetOutput::kProbability}}; break;
        case HeadKind::kQuestionAnswering: targets = {{0, 2, TargetOutput::kLogit}}; break;
        default: break;
      }
      for (const Target& target : targets) {
        SCOPED_TRACE(name + " row " + std::to_string(b) + " " + TargetOutputName(target.output));
        const auto r = testing::CheckFiniteDifferences(parts, bw, in, target, 24, {1e-2}, 7 + b);
        std::printf("  %-44s row %d %-15s checked %2d  max rel %.2e  median %.2e  vector %.2e\n", name.c_str(), b,
                    TargetOutputName(target.output), r.checked, r.max_relative, r.median_relative, r.vector_relative);
        EXPECT_GE(r.checked, 10);
        EXPECT_LE(r.vector_relative, 1e-3);
        EXPECT_LE(r.max_relative, 1e-2);
      }
    }
  }
}

// dtype q8 loads and runs; on random weights only rough agreement with fp32 can be checked.
TEST(RelativeAttention, Q8LoadsAndRoughlyAgrees) {
  BT_REQUIRE_SHARED();
  for (const std::string& name : RelativeModels()) {
    SCOPED_TRACE(name);
    LoadOptions q8;
    q8.quantize_int8 = true;
    auto fp32 = testing::LoadSharedModel("models/tiny-v2/" + name);
    auto quant = testing::LoadSharedModel("models/tiny-v2/" + name, q8);
    ASSERT_NE(fp32, nullptr);
    ASSERT_NE(quant, nullptr);
    auto ref = testing::ReadReference(testing::SharedPath("models/tiny-v2/" + name + "/reference.safetensors"));
    auto a = fp32->Forward(RequestFrom(ref));
    auto b = quant->Forward(RequestFrom(ref));
    ASSERT_TRUE(a.ok() && b.ok());
    const std::vector<float>& x = a->logits.empty() ? (a->start_logits.empty() ? a->last_hidden_state : a->start_logits) : a->logits;
    const std::vector<float>& y = b->logits.empty() ? (b->start_logits.empty() ? b->last_hidden_state : b->start_logits) : b->logits;
    ASSERT_EQ(x.size(), y.size());
    double num = 0, den = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      num += (x[i] - y[i]) * (x[i] - y[i]);
      den += x[i] * x[i];
    }
    const double rel = std::sqrt(num / std::max(den, 1e-30));
    std::printf("  %-44s q8 vs fp32: relative L2 %.3f\n", name.c_str(), rel);
    EXPECT_LT(rel, 0.2);
  }
}

}  // namespace
}  // namespace bt
