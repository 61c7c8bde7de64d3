// ForwardRequest.head_rows: a per-token head run on selected token rows gives exactly those rows of
// the full run (masked LM and token classification); bad rows and other heads are clear errors.
// output_last_hidden_state = false: the last layer runs on the rows the head reads only (a
// classifier's first token, head_rows, a pooler) and gives the full run's outputs bit for bit.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "io/file_store.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

std::unique_ptr<Model> LoadTiny(const std::string& name, const LoadOptions& options = {}) {
  return testing::LoadSharedModel("models/tiny/" + name, options);
}

ForwardRequest Request() {
  ForwardRequest r;
  r.batch = 2;
  r.seq = 6;
  r.ids = {2, 15, 27, 33, 8, 3, 2, 40, 41, 3, 0, 0};
  r.mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  return r;
}

TEST(HeadRows, SelectedRowsEqualTheFullRun) {
  BT_REQUIRE_SHARED();
  for (const char* name : {"tiny-bert-bert-maskedlm", "tiny-bert-bert-tokenclassification",
                           "tiny-distilbert-distilbert-maskedlm", "tiny-roberta-roberta-maskedlm"}) {
    SCOPED_TRACE(name);
    auto model = LoadTiny(name);
    ASSERT_NE(model, nullptr);
    auto full = model->Forward(Request());
    ASSERT_TRUE(full.ok()) << full.status().message();
    const int64_t n = full->logits_shape.back();
    ForwardRequest some = Request();
    some.head_rows_set = true;
    some.head_rows = {1, 4, 7, 11};
    auto part = model->Forward(some);
    ASSERT_TRUE(part.ok()) << part.status().message();
    ASSERT_EQ(part->logits_shape, (std::vector<int64_t>{4, n}));
    for (size_t r = 0; r < some.head_rows.size(); ++r) {
      // Same kernels on the same row: bitwise equal.
      EXPECT_EQ(0, std::memcmp(part->logits.data() + r * n, full->logits.data() + some.head_rows[r] * n, n * sizeof(float)))
          << "row " << some.head_rows[r];
    }
    some.head_rows.clear();
    auto none = model->Forward(some);
    ASSERT_TRUE(none.ok()) << none.status().message();
    EXPECT_TRUE(none->logits.empty());
    EXPECT_EQ(none->logits_shape, (std::vector<int64_t>{0, n}));
  }
}

// The oracle is Hugging Face: bert-mini-mlm's masked-LM logits at the [MASK] rows only, against the
// reference's full [batch, seq, vocab] logits at those positions.
TEST(HeadRows, MaskRowsMatchHuggingFace) {
  BT_REQUIRE_SHARED();
  auto model = testing::LoadSharedModel("models/bert-mini-mlm");
  ASSERT_NE(model, nullptr);
  auto ref = testing::ReadReference(testing::SharedPath("reference/bert-mini-mlm.safetensors"));
  ForwardRequest request = testing::ReferenceRequest(ref);
  const int32_t mask_id = model->tokenizer()->TokenToId("[MASK]");
  request.head_rows_set = true;
  for (int32_t t = 0; t < static_cast<int32_t>(request.ids.size()); ++t) {
    if (request.ids[t] == mask_id) request.head_rows.push_back(t);
  }
  ASSERT_EQ(request.head_rows.size(), static_cast<size_t>(request.batch));  // one mask per text
  auto out = model->Forward(request);
  ASSERT_TRUE(out.ok()) << out.status().message();
  const int64_t vocab = ref["logits"].shape[2];
  ASSERT_EQ(out->logits_shape, (std::vector<int64_t>{request.batch, vocab}));
  std::vector<float> want;
  for (int32_t row : request.head_rows) {
    want.insert(want.end(), ref["logits"].f32.begin() + row * vocab, ref["logits"].f32.begin() + (row + 1) * vocab);
  }
  const double diff = testing::MaxAbsDiff(out->logits, want, "mask-row logits");
  EXPECT_LE(diff, 1e-4);
  std::printf("  bert-mini-mlm logits at the %zu mask rows vs Hugging Face: max abs diff %.2e\n",
              request.head_rows.size(), diff);
}

// Bitwise equality of two float vectors (same kernels on the same rows).
void ExpectSameBits(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float))) << what;
}

TEST(HeadRows, LastLayerOnTheHeadsRowsOnly) {
  BT_REQUIRE_SHARED();
  for (const bool q8 : {false, true}) {
    for (const char* name : {"tiny-bert-bert-sequenceclassification", "tiny-distilbert-distilbert-sequenceclassification",
                             "tiny-roberta-roberta-sequenceclassification", "tiny-albert-albert-sequenceclassification",
                             "tiny-bert-bertmodel", "tiny-bert-bert-maskedlm", "tiny-albert-albert-maskedlm",
                             "tiny-distilbert-distilbert-tokenclassification"}) {
      SCOPED_TRACE(std::string(name) + (q8 ? " q8" : " fp32"));
      LoadOptions options;
      options.quantize_int8 = q8;
      auto loaded = LoadTiny(name, options);
      ASSERT_NE(loaded, nullptr);
      Model& model = *loaded;
      const bool per_token = model.head() == HeadKind::kMaskedLm || model.head() == HeadKind::kTokenClassification;
      ForwardRequest full = Request();
      if (per_token) {
        full.head_rows_set = true;
        full.head_rows = {1, 4, 7, 11};
      }
      auto want = model.Forward(full);
      ASSERT_TRUE(want.ok()) << want.status().message();
      ForwardRequest lean = full;
      lean.output_last_hidden_state = false;
      auto got = model.Forward(lean);
      ASSERT_TRUE(got.ok()) << got.status().message();
      EXPECT_TRUE(got->last_hidden_state.empty());
      ExpectSameBits(got->logits, want->logits, "logits");
      EXPECT_EQ(got->logits_shape, want->logits_shape);
      ExpectSameBits(got->pooled, want->pooled, "pooled");
      if (model.head() == HeadKind::kBase) EXPECT_FALSE(got->pooled.empty());
      // Hidden states or attentions need every row of the last layer: not pruned, same outputs.
      lean.output_attentions = true;
      full.output_attentions = true;
      auto with_attention = model.Forward(lean);
      auto full_attention = model.Forward(full);
      ASSERT_TRUE(with_attention.ok() && full_attention.ok());
      ExpectSameBits(with_attention->logits, want->logits, "logits with attentions");
      ExpectSameBits(with_attention->attentions, full_attention->attentions, "attentions");
    }
  }
}

// bert-mini-sst2 (4 layers, 256 hidden) with the last layer on the [CLS] rows only, against Hugging
// Face's logits, with 1 and 2 threads.
TEST(HeadRows, ClassifierOnClsRowsMatchesHuggingFace) {
  BT_REQUIRE_SHARED();
  auto model = testing::LoadSharedModel("models/bert-mini-sst2");
  ASSERT_NE(model, nullptr);
  auto ref = testing::ReadReference(testing::SharedPath("reference/bert-mini-sst2.safetensors"));
  ForwardRequest request = testing::ReferenceRequest(ref);
  request.output_last_hidden_state = false;
  for (int threads : {1, 2}) {
    SetNumThreads(threads);
    auto out = model->Forward(request);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_TRUE(out->last_hidden_state.empty());
    const double diff = testing::MaxAbsDiff(out->logits, ref["logits"].f32, "logits");
    EXPECT_LE(diff, 1e-4);
    std::printf("  bert-mini-sst2, last layer on [CLS] rows, %d thread(s): logits max abs diff vs Hugging Face %.2e\n",
                threads, diff);
  }
  SetNumThreads(1);
}

TEST(HeadRows, BadRowsAndOtherHeadsAreErrors) {
  BT_REQUIRE_SHARED();
  auto mlm = LoadTiny("tiny-bert-bert-maskedlm");
  ASSERT_NE(mlm, nullptr);
  for (std::vector<int32_t> rows : {std::vector<int32_t>{12}, std::vector<int32_t>{-1}, std::vector<int32_t>{3, 3},
                                    std::vector<int32_t>{5, 2}}) {
    ForwardRequest r = Request();
    r.head_rows_set = true;
    r.head_rows = rows;
    auto out = mlm->Forward(r);
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("head rows must be increasing token indices in [0, 12)"), std::string::npos)
        << out.status().message();
  }
  auto ok = mlm->Forward(Request());  // the model is still usable
  EXPECT_TRUE(ok.ok());
  auto cls = LoadTiny("tiny-bert-bert-sequenceclassification");
  ASSERT_NE(cls, nullptr);
  ForwardRequest r = Request();
  r.head_rows_set = true;
  r.head_rows = {1};
  auto out = cls->Forward(r);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("per-token heads"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace bt
