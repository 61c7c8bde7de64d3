// dtype q8 on the issue-16 families (tiny-v2 XLM-RoBERTa, CamemBERT, ERNIE, ELECTRA): every head loads
// with int8 encoder weights and word embeddings, and its outputs stay close to Hugging Face's fp32
// reference (random weights: accuracy cannot be measured, so this bounds the drift — the figures are
// printed). The bound is loose on purpose; a wrong dequantisation or a head left unquantised-but-broken
// moves outputs by O(1).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

TEST(QuantizedFamilies, EveryHeadLoadsAndStaysNearTheReference) {
  BT_REQUIRE_SHARED();
  for (const char* name : {"camembert-sequenceclassification", "electra-discriminator", "electra-maskedlm",
                           "electra-questionanswering", "electra-sequenceclassification", "electra-tokenclassification",
                           "ernie-maskedlm", "ernie-model", "ernie-questionanswering", "ernie-sequenceclassification",
                           "ernie-sequenceclassification-notask", "ernie-tokenclassification", "xlm-roberta-maskedlm",
                           "xlm-roberta-sequenceclassification", "xlm-roberta-tokenclassification"}) {
    SCOPED_TRACE(name);
    const std::string dir = testing::SharedPath(std::string("models/tiny-v2/") + name);
    auto files = ReadDirectory(dir);
    ASSERT_TRUE(files.ok());
    files->Erase("reference.safetensors");
    LoadOptions options;
    options.quantize_int8 = true;
    auto model = Model::Load(files.value(), options);
    ASSERT_TRUE(model.ok()) << model.status().message();
    auto ref = testing::ReadReference(dir + "/reference.safetensors");
    auto out = model.value()->Forward(testing::ReferenceRequest(ref));
    ASSERT_TRUE(out.ok()) << out.status().message();
    for (const auto& [key, values] : {std::pair<const char*, const std::vector<float>*>{"logits", &out->logits},
                                      {"start_logits", &out->start_logits},
                                      {"last_hidden_state", &out->last_hidden_state}}) {
      if (!ref.count(key)) continue;
      const std::vector<float>& r = ref[key].f32;
      ASSERT_EQ(values->size(), r.size()) << key;
      double err = 0, top = 0;
      for (size_t i = 0; i < r.size(); ++i) {
        err = std::max(err, static_cast<double>(std::fabs((*values)[i] - r[i])));
        top = std::max(top, static_cast<double>(std::fabs(r[i])));
      }
      std::printf("  q8 %-38s %-17s max abs error %.3f over max|ref| %.2f\n", name, key, err, top);
      // Random tiny weights: q8 is only roughly the reference. With 7-bit weights (2026-12-05) the errors
      // grew 1.0-4.2x over the 8-bit ones (electra-discriminator logits 0.057 -> 0.237 of max|ref| 0.94,
      // the largest ratio; ernie-maskedlm 0.476 -> 0.595 of 7.35); accuracy on trained models is gated
      // by tests/js/quantized.test.mjs and test_quantized (SST-2, CoNLL-03 within 0.5 points of fp32).
      EXPECT_LE(err, 0.25 * std::max(1.0, top)) << key;
    }
  }
}

}  // namespace
}  // namespace bt
