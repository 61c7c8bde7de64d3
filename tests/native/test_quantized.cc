// dtype q8 (int8 encoder weights + int8 word embeddings): weights shrink to under 0.3x of fp32 and
// SST-2 dev accuracy of bert-mini-sst2 stays within 0.5 points of the fp32 figure (747/872).
#include <fstream>
#include <sstream>

#include "core/thread_pool.h"
#include "models/model.h"
#include "test_support.h"

namespace bt {
namespace {

std::unique_ptr<Model> LoadSst2(bool q8) {
  auto files = ReadDirectory(testing::SharedPath("models/bert-mini-sst2"));
  EXPECT_TRUE(files.ok());
  LoadOptions options;
  options.quantize_int8 = q8;
  auto model = Model::Load(files.value(), options);
  EXPECT_TRUE(model.ok()) << model.status().message();
  return model.ok() ? std::move(model).value() : nullptr;
}

int CountCorrect(Model& model) {
  std::ifstream in(testing::SharedPath("data/sst2/dev.tsv"));
  std::string line;
  std::getline(in, line);  // header
  int correct = 0;
  while (std::getline(in, line)) {
    const size_t tab = line.rfind('\t');
    auto enc = model.tokenizer()->Encode(line.substr(0, tab), EncodeOptions{});
    EXPECT_TRUE(enc.ok());
    ForwardRequest request;
    request.batch = 1;
    request.seq = static_cast<int32_t>(enc->ids.size());
    request.ids = enc->ids;
    request.type_ids = enc->type_ids;
    auto out = model.Forward(request);
    EXPECT_TRUE(out.ok());
    const int predicted = out->logits[1] > out->logits[0] ? 1 : 0;
    correct += predicted == std::stoi(line.substr(tab + 1)) ? 1 : 0;
  }
  return correct;
}

TEST(Quantized, Sst2AccuracyAndWeightSize) {
  BT_REQUIRE_SHARED();
  SetNumThreads(2);
  auto fp32 = LoadSst2(false);
  auto q8 = LoadSst2(true);
  ASSERT_TRUE(fp32 && q8);
  const double ratio = static_cast<double>(q8->weight_bytes()) / fp32->weight_bytes();
  EXPECT_LE(ratio, 0.3);
  const int correct = CountCorrect(*q8);
  std::printf("  q8 weights %.1f MB vs fp32 %.1f MB (%.3fx); SST-2 dev accuracy %d/872 = %.5f (fp32 747/872)\n",
              q8->weight_bytes() / 1e6, fp32->weight_bytes() / 1e6, ratio, correct, correct / 872.0);
  EXPECT_NEAR(correct / 872.0, 747 / 872.0, 0.005);
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
