// Explanations through ModernBERT's and XLNet's blocks (rotary, sliding window, GeGLU, pre-norm, final
// norm, mean / last-token pooling, XLNet's relative attention with segments): the taped forward gives
// Model::Forward's head outputs, and the gradients w.r.t. the word embeddings agree with central finite
// differences of the engine's own forward (the forward itself is checked against Hugging Face in
// test_parity_modernbert_xlnet.cc).
#include <cstdio>

#include "explain_test_util.h"
#include "reference_tensors.h"

namespace bt {
namespace {

const char* const kHeads[] = {
    "modernbert-maskedlm",     "modernbert-sequenceclassification", "modernbert-sequenceclassification-cls",
    "modernbert-tokenclassification", "xlnet-lmhead", "xlnet-sequenceclassification", "xlnet-tokenclassification",
    "xlnet-questionanswering-simple",
};

std::vector<Target> TargetsFor(HeadKind head) {
  switch (head) {
    case HeadKind::kSequenceClassification:
      return {{1, -1, TargetOutput::kProbability}, {0, -1, TargetOutput::kLogit}};
    case HeadKind::kTokenClassification:
      return {{2, 9, TargetOutput::kProbability}, {1, 11, TargetOutput::kLogProbability}};
    case HeadKind::kMaskedLm:
      return {{17, 9, TargetOutput::kProbability}, {5, 10, TargetOutput::kLogit}};
    case HeadKind::kQuestionAnswering:
      return {{0, 9, TargetOutput::kLogit}, {1, 10, TargetOutput::kProbability}};
    default:
      return {};
  }
}

SequenceInput Row(std::map<std::string, testing::ReferenceTensor>& ref, int32_t b) {
  const int32_t seq = static_cast<int32_t>(ref["input_ids"].shape[1]);
  SequenceInput in;
  in.seq = seq;
  in.ids.assign(ref["input_ids"].i32.begin() + b * seq, ref["input_ids"].i32.begin() + (b + 1) * seq);
  in.mask.assign(ref["attention_mask"].i32.begin() + b * seq, ref["attention_mask"].i32.begin() + (b + 1) * seq);
  if (ref.count("token_type_ids")) {
    in.type_ids.assign(ref["token_type_ids"].i32.begin() + b * seq, ref["token_type_ids"].i32.begin() + (b + 1) * seq);
  }
  return in;
}

TEST(ExplainGradientsModernBertXlnet, TracedForwardMatchesModelForward) {
  BT_REQUIRE_SHARED();
  for (const char* name : kHeads) {
    SCOPED_TRACE(name);
    auto model = testing::LoadSharedModel(std::string("models/tiny-v2/") + name);
    ASSERT_NE(model, nullptr);
    const ModelParts& parts = model->parts();
    auto ref = testing::ReadReference(testing::SharedPath(std::string("models/tiny-v2/") + name + "/reference.safetensors"));
    ForwardRequest request = testing::ReferenceRequest(ref);
    auto out = model->Forward(request);
    ASSERT_TRUE(out.ok());
    const int32_t seq = request.seq, n = parts.head_program.output_size();
    for (int32_t b = 0; b < request.batch; ++b) {
      SequenceInput in = Row(ref, b);
      std::vector<float> x(static_cast<size_t>(seq) * parts.encoder.embedding_size);
      GatherWordEmbeddings(parts.encoder.embeddings, in.ids.data(), seq, x.data());
      for (int32_t pos : {0, seq - 1}) {
        const Target target{0, pos, TargetOutput::kLogit};
        auto traced = TargetHeadOutput(parts, model->arena(), in, target, x.data(), DefaultThreadPool());
        ASSERT_TRUE(traced.ok());
        const std::vector<int32_t> rows = TargetRows(parts, target, seq);
        for (size_t r = 0; r < rows.size(); ++r) {
          for (int32_t j = 0; j < n; ++j) {
            const float expected = parts.head == HeadKind::kQuestionAnswering
                                       ? (j == 0 ? out->start_logits : out->end_logits)[b * seq + rows[r]]
                                   : parts.head_program.first_token_only
                                       ? out->logits[b * n + j]
                                       : out->logits[(static_cast<size_t>(b) * seq + rows[r]) * n + j];
            ASSERT_NEAR(traced.value()[r * n + j], expected, 1e-5 * std::max(1.0f, std::fabs(expected)))
                << "row " << b << " position " << rows[r] << " output " << j;
          }
        }
      }
    }
  }
}

TEST(ExplainGradientsModernBertXlnet, FiniteDifferences) {
  BT_REQUIRE_SHARED();
  for (const char* name : kHeads) {
    auto model = testing::LoadSharedModel(std::string("models/tiny-v2/") + name);
    ASSERT_NE(model, nullptr);
    const ModelParts& parts = model->parts();
    BackwardWeights bw;
    ASSERT_TRUE(bw.Build(parts.encoder).ok());
    auto ref = testing::ReadReference(testing::SharedPath(std::string("models/tiny-v2/") + name + "/reference.safetensors"));
    for (int32_t b : {0, 1, 2}) {  // row 0: full (XLNet: two segments); rows 1, 2: padded
      const SequenceInput in = Row(ref, b);
      for (const Target& target : TargetsFor(parts.head)) {
        SCOPED_TRACE(std::string(name) + " row " + std::to_string(b) + " target " + std::to_string(target.index) + "@" +
                     std::to_string(target.position) + " " + TargetOutputName(target.output));
        const auto r = testing::CheckFiniteDifferences(parts, bw, in, target, 24, {5e-3, 7.5e-3, 1e-2}, 7 + b);
        std::printf("  %-40s row %d %-15s checked %2d  max rel %.2e  median %.2e  vector %.2e\n", name, b,
                    TargetOutputName(target.output), r.checked, r.max_relative, r.median_relative, r.vector_relative);
        EXPECT_GE(r.checked, 10);
        EXPECT_LE(r.vector_relative, 1e-3);
        EXPECT_LE(r.max_relative, 1e-2);
      }
    }
  }
}

}  // namespace
}  // namespace bt
