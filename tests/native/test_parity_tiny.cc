// Every tiny random-weight model in ../shared/models/tiny reproduces Hugging Face's outputs
// (logits or start/end logits, all hidden states, all attentions) to 1e-5, with 1 and 2 threads.
#include "core/thread_pool.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

std::vector<std::string> TinyModels() { return testing::SharedFolderEntries("models/tiny"); }

void CheckTinyModel(const std::string& name, int threads) {
  SCOPED_TRACE(name + " threads=" + std::to_string(threads));
  SetNumThreads(threads);
  const std::string dir = testing::SharedPath("models/tiny/" + name);
  auto files = ReadDirectory(dir);
  ASSERT_TRUE(files.ok()) << files.status().message();
  auto ref = testing::ReadReference(dir + "/reference.safetensors");
  files->Erase("reference.safetensors");
  auto model = Model::Load(files.value());
  ASSERT_TRUE(model.ok()) << model.status().message();

  ForwardRequest request;
  const auto& ids = ref["input_ids"];
  request.batch = static_cast<int32_t>(ids.shape[0]);
  request.seq = static_cast<int32_t>(ids.shape[1]);
  request.ids = ids.i32;
  request.mask = ref["attention_mask"].i32;
  if (ref.count("token_type_ids")) request.type_ids = ref["token_type_ids"].i32;
  request.output_hidden_states = request.output_attentions = true;
  auto out = model.value()->Forward(request);
  ASSERT_TRUE(out.ok()) << out.status().message();

  constexpr double kTol = 1e-5;
  if (ref.count("logits")) {
    EXPECT_LE(testing::MaxAbsDiff(out->logits, ref["logits"].f32, "logits"), kTol);
    std::vector<int64_t> shape(out->logits_shape.begin(), out->logits_shape.end());
    EXPECT_EQ(shape, ref["logits"].shape);
  } else {
    EXPECT_LE(testing::MaxAbsDiff(out->start_logits, ref["start_logits"].f32, "start_logits"), kTol);
    EXPECT_LE(testing::MaxAbsDiff(out->end_logits, ref["end_logits"].f32, "end_logits"), kTol);
  }
  const double hidden = testing::MaxAbsDiff(out->hidden_states, ref["hidden_states"].f32, "hidden_states");
  const double attn = testing::MaxAbsDiff(out->attentions, ref["attentions"].f32, "attentions");
  EXPECT_LE(hidden, kTol);
  EXPECT_LE(attn, kTol);
  std::printf("  %-48s threads=%d  hidden %.2e  attentions %.2e\n", name.c_str(), threads, hidden, attn);
}

TEST(ParityTiny, EveryTinyModelMatchesHuggingFace) {
  BT_REQUIRE_SHARED();
  const auto models = TinyModels();
  ASSERT_GE(models.size(), 13u);
  for (int threads : {1, 2}) {
    for (const std::string& name : models) CheckTinyModel(name, threads);
  }
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
