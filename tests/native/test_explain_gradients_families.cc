// Explanations through the issue-16 families' blocks (ERNIE's task types, ELECTRA's embedding
// projection, discriminator, GELU classifier and E-wide generator head, XLM-RoBERTa/CamemBERT): gradients
// w.r.t. the word embeddings agree with central finite differences of our own forward (whose values
// tests/native/test_parity_tiny_v2.cc proves against Hugging Face), for every head, masked rows included.
#include <cstdio>

#include "explain_test_util.h"
#include "reference_tensors.h"

namespace bt {
namespace {

std::vector<Target> TargetsFor(HeadKind head) {
  switch (head) {
    case HeadKind::kSequenceClassification: return {{1, -1, TargetOutput::kProbability}, {0, -1, TargetOutput::kLogit}};
    case HeadKind::kTokenClassification: return {{2, 3, TargetOutput::kProbability}, {1, 6, TargetOutput::kLogProbability}};
    case HeadKind::kMaskedLm: return {{17, 4, TargetOutput::kProbability}, {5, 1, TargetOutput::kLogit}};
    case HeadKind::kQuestionAnswering: return {{0, 3, TargetOutput::kLogit}, {1, 2, TargetOutput::kProbability}};
    case HeadKind::kReplacedTokenDetection:
      return {{0, 3, TargetOutput::kProbability}, {0, 6, TargetOutput::kLogProbability}, {0, 1, TargetOutput::kLogit}};
    default: return {};
  }
}

// These models' weights carry N(0, 0.3) noise (peaky attention, hidden values up to ~6): the float32
// forward's rounding noise is larger than on the first tiny models, so the stencil's estimates at three
// step sizes are averaged (the eighth-order stencil keeps the truncation error far below). Measured: the
// worst coordinate 2.8e-3 relative, medians and whole-vector errors 0.6-4.5e-4 — and they shrink as
// more step sizes are averaged (noise), where a wrong backward block gives O(1) errors. Bounds: vector
// 1e-3, any coordinate 5e-3.
const std::vector<double> kSteps = {1e-2, 2e-2, 3e-2};

TEST(ExplainGradientsFamilies, FiniteDifferencesOnEveryHead) {
  BT_REQUIRE_SHARED();
  for (const char* name : {"camembert-sequenceclassification", "electra-discriminator", "electra-maskedlm",
                           "electra-questionanswering", "electra-sequenceclassification", "electra-tokenclassification",
                           "ernie-maskedlm", "ernie-questionanswering", "ernie-sequenceclassification",
                           "ernie-tokenclassification", "xlm-roberta-maskedlm", "xlm-roberta-tokenclassification"}) {
    const std::string dir = std::string("models/tiny-v2/") + name;
    auto model = testing::LoadSharedModel(dir);
    ASSERT_NE(model, nullptr) << name;
    const ModelParts& parts = model->parts();
    BackwardWeights bw;
    ASSERT_TRUE(bw.Build(parts.encoder).ok());
    auto ref = testing::ReadReference(testing::SharedPath(dir + "/reference.safetensors"));
    const int32_t seq = static_cast<int32_t>(ref["input_ids"].shape[1]);
    for (int32_t b : {0, 2}) {  // row 0: a pair (token types 0/1); row 2: padded
      SequenceInput in;
      in.seq = seq;
      in.ids.assign(ref["input_ids"].i32.begin() + b * seq, ref["input_ids"].i32.begin() + (b + 1) * seq);
      in.mask.assign(ref["attention_mask"].i32.begin() + b * seq, ref["attention_mask"].i32.begin() + (b + 1) * seq);
      if (ref.count("token_type_ids")) {
        in.type_ids.assign(ref["token_type_ids"].i32.begin() + b * seq, ref["token_type_ids"].i32.begin() + (b + 1) * seq);
      }
      for (const Target& target : TargetsFor(parts.head)) {
        SCOPED_TRACE(std::string(name) + " row " + std::to_string(b) + " target " + std::to_string(target.index) + "@" +
                     std::to_string(target.position) + " " + TargetOutputName(target.output));
        const auto r = testing::CheckFiniteDifferences(parts, bw, in, target, 24, kSteps, 7 + b);
        std::printf("  %-36s row %d %-15s checked %2d (kinks %d)  max rel %.2e  median %.2e  vector %.2e\n", name, b,
                    TargetOutputName(target.output), r.checked, r.kinks, r.max_relative, r.median_relative,
                    r.vector_relative);
        EXPECT_GE(r.checked, 10);
        EXPECT_LE(r.vector_relative, 1e-3);
        EXPECT_LE(r.max_relative, 5e-3);
      }
    }
  }
}

}  // namespace
}  // namespace bt
