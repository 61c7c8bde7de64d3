// Relative-position attention (models/blocks/relative_attention.h). The MPNet and DeBERTa-v2/v3 models of
// ../shared/models/tiny-v2 are checked against Hugging Face's outputs by the shared harness
// (test_parity_tiny_v2.cc, listed in tests/fixtures/tiny-v2-models.json); here: BERT relative_key /
// relative_key_query against a torch transcription, the bucket functions against torch, the block
// against its formula, the explanation backward through every relative head against finite
// differences, and q8 loading.
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
  for (const std::string& n : testing::SharedFolderEntries("models/tiny-v2")) {
    if (n.rfind("mpnet-", 0) == 0 || n.rfind("deberta-v2-", 0) == 0) names.push_back(n);
  }
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

// BERT position_embedding_type relative_key / relative_key_query: no checkpoint in ../shared has them,
// so the oracle is a self-written torch transcription of Hugging Face's BertSelfAttention math
// (tools/bert_relative_oracle.py, Debian python3-torch), its outputs in build/fixtures/bert-relative (scripts/test.sh
// generates them).
std::string FixtureDir(const std::string& name) {
  std::string file = __FILE__;  // <repo>/tests/native/test_relative_attention.cc
  return file.substr(0, file.rfind("/tests/native/")) + "/build/fixtures/bert-relative/" + name;
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

// sentence-transformers/all-mpnet-base-v2's config names MPNetForMaskedLM while its checkpoint holds only
// the base model (no prefix, no LM head): it loads as a base model with Hugging Face's hidden states.
TEST(RelativeAttention, BareBaseModelUnderMaskedLmNameLoadsAsBase) {
  BT_REQUIRE_SHARED();
  const std::string dir = testing::SharedPath("models/tiny-v2/mpnet-model");
  auto files = ReadDirectory(dir);
  ASSERT_TRUE(files.ok()) << files.status().message();
  auto config = files->ReadText("config.json");
  ASSERT_TRUE(config.ok());
  std::string text = config.value();
  const size_t at = text.find("\"MPNetModel\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "\"MPNetForMaskedLM\"");
  ASSERT_TRUE(files->Put("config.json", text).ok());
  files->Erase("reference.safetensors");
  auto model = Model::Load(files.value());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model.value()->head(), HeadKind::kBase);
  auto ref = testing::ReadReference(dir + "/reference.safetensors");
  auto out = model.value()->Forward(RequestFrom(ref));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_LE(RelErr(out->last_hidden_state, ref["last_hidden_state"], "last_hidden_state"), 1e-5);
  EXPECT_LE(RelErr(out->pooled, ref["pooler_output"], "pooler_output"), 1e-5);
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

// The block alone: random q|k|v and tables, both masking modes, against the formula evaluated in
// double; a query subset gives the full call's rows; the backward against central differences of
// L = Σ ctx·G (double).
RelativeAttention RandomTerms(RelativeMasking masking, int32_t heads, int32_t hd, int32_t seq, uint64_t seed) {
  SplitMix64 rng(seed);
  auto uniform = [&]() { return static_cast<float>(rng.Below(20001) - 10000) / 10000.0f; };
  RelativeAttention a;
  a.heads = heads;
  a.head_dim = hd;
  a.scale = 0.37f;
  a.masking = masking;
  a.width = heads * hd;
  a.head_stride = hd;
  const int32_t rows = 9;
  FillRelativeIndex(a, seq - 1, [](int32_t r) { return std::clamp(r + 4, 0, 8); });
  for (int32_t i = 0; i < rows * a.width; ++i) a.pos_key.push_back(uniform());
  for (int32_t i = 0; i < rows * a.width; ++i) a.pos_query.push_back(uniform());
  for (int32_t i = 0; i < rows * heads; ++i) a.bias.push_back(uniform());
  return a;
}

TEST(RelativeAttention, BlockMatchesFormulaAndGradients) {
  const int32_t batch = 2, seq = 7, heads = 2, hd = 4, h = heads * hd;
  const AttentionShape shape{batch, seq, heads, hd, 3 * h, 3 * h, 3 * h};
  for (RelativeMasking masking : {RelativeMasking::kKeys, RelativeMasking::kQueriesAndKeys}) {
    const RelativeAttention a = RandomTerms(masking, heads, hd, seq, 3);
    SplitMix64 rng(11);
    std::vector<float> qkv(static_cast<size_t>(batch) * seq * 3 * h);
    for (float& x : qkv) x = static_cast<float>(rng.Below(20001) - 10000) / 10000.0f;
    const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    auto forward = [&](const std::vector<float>& in, std::vector<float>* probs) {
      std::vector<float> ctx(static_cast<size_t>(batch) * seq * h);
      if (probs != nullptr) probs->assign(static_cast<size_t>(batch) * heads * seq * seq, 0.0f);
      RelativeAttentionForward(a, shape, in.data(), in.data() + h, in.data() + 2 * h, mask.data(), ctx.data(),
                               probs != nullptr ? probs->data() : nullptr, DefaultThreadPool());
      return ctx;
    };
    std::vector<float> probs;
    const std::vector<float> ctx = forward(qkv, &probs);
    // The formula in double.
    for (int32_t b = 0; b < batch; ++b) {
      for (int32_t hh = 0; hh < heads; ++hh) {
        for (int32_t i = 0; i < seq; ++i) {
          const bool qvalid = masking == RelativeMasking::kKeys || mask[b * seq + i];
          std::vector<double> sc(seq, -1e300);
          double mx = -1e300;
          bool any = false;
          for (int32_t j = 0; j < seq; ++j) {
            if (!qvalid || !mask[b * seq + j]) continue;
            const float* q = &qkv[(b * seq + i) * 3 * h + hh * hd];
            const float* k = &qkv[(b * seq + j) * 3 * h + h + hh * hd];
            const int32_t idx = std::clamp(i - j + 4, 0, 8);
            double dot = 0;
            for (int32_t d = 0; d < hd; ++d) {
              dot += double(q[d]) * k[d] + double(q[d]) * a.pos_key[idx * h + hh * hd + d] +
                     double(k[d]) * a.pos_query[idx * h + hh * hd + d];
            }
            sc[j] = dot * a.scale + a.bias[idx * heads + hh];
            mx = std::max(mx, sc[j]);
            any = true;
          }
          double sum = 0;
          std::vector<double> p(seq, 0.0);
          for (int32_t j = 0; j < seq; ++j) {
            p[j] = !any ? 1.0 / seq : sc[j] > -1e299 ? std::exp(sc[j] - mx) : 0.0;
            sum += p[j];
          }
          for (int32_t j = 0; j < seq; ++j) {
            p[j] /= sum;
            EXPECT_NEAR(probs[((b * heads + hh) * seq + i) * seq + j], p[j], 1e-6);
          }
          for (int32_t d = 0; d < hd; ++d) {
            double c = 0;
            for (int32_t j = 0; j < seq; ++j) c += p[j] * qkv[(b * seq + j) * 3 * h + 2 * h + hh * hd + d];
            EXPECT_NEAR(ctx[(b * seq + i) * h + hh * hd + d], c, 1e-5);
          }
        }
      }
    }
    // A query subset: rows 1, 5, 8, 13 (q compact), each equal to the full call's row.
    const std::vector<int32_t> rows = {1, 5, 8, 13};
    std::vector<float> q_sub(qkv.size(), 0.0f);
    for (size_t r = 0; r < rows.size(); ++r) {
      std::copy_n(&qkv[rows[r] * 3 * h], h, &q_sub[r * 3 * h]);
    }
    std::vector<float> ctx_sub(rows.size() * h);
    const AttentionQueries queries{rows.data(), static_cast<int32_t>(rows.size())};
    RelativeAttentionForward(a, shape, q_sub.data(), qkv.data() + h, qkv.data() + 2 * h, mask.data(), ctx_sub.data(),
                             nullptr, DefaultThreadPool(), &queries);
    for (size_t r = 0; r < rows.size(); ++r) {
      for (int32_t c = 0; c < h; ++c) EXPECT_EQ(ctx_sub[r * h + c], ctx[rows[r] * h + c]);
    }
    // Backward vs central differences of L = Σ ctx·G.
    std::vector<float> g(ctx.size());
    for (float& x : g) x = static_cast<float>(rng.Below(20001) - 10000) / 10000.0f;
    std::vector<float> dqkv(qkv.size());
    RelativeAttentionBackward(a, shape, qkv.data(), probs.data(), mask.data(), g.data(), dqkv.data(), DefaultThreadPool());
    auto loss = [&](const std::vector<float>& in) {
      const std::vector<float> c = forward(in, nullptr);
      double l = 0;
      for (size_t i = 0; i < c.size(); ++i) l += double(c[i]) * g[i];
      return l;
    };
    double worst = 0, top = 0;
    for (size_t i = 0; i < qkv.size(); i += 5) {
      const double eps = 1e-2;
      std::vector<float> p1(qkv), m1(qkv), p2(qkv), m2(qkv);
      p1[i] += eps, m1[i] -= eps, p2[i] += 2 * eps, m2[i] -= 2 * eps;
      const double fd = (8 * (loss(p1) - loss(m1)) - (loss(p2) - loss(m2))) / (12 * eps);
      worst = std::max(worst, std::fabs(fd - dqkv[i]));
      top = std::max(top, std::fabs(fd));
    }
    std::printf("  block backward (%s masking): max |fd - grad| %.2e of max |grad| %.2e\n",
                masking == RelativeMasking::kKeys ? "key" : "query x key", worst, top);
    EXPECT_LE(worst, 2e-3 * std::max(1.0, top));
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
