// The trained BERT-mini models (float16, sharded safetensors) reproduce Hugging Face's outputs
// for the reference texts: our tokenizer gives the same ids, and logits / hidden states /
// attentions agree to 1e-4.
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

// Tokenizes the reference texts (and pairs) with the model's tokenizer and pads like Hugging Face.
void ExpectSameIds(const Tokenizer& tokenizer, const nlohmann::json& texts,
                   std::map<std::string, testing::ReferenceTensor>& ref) {
  const auto& ids = ref["input_ids"];
  const int64_t seq = ids.shape[1];
  const nlohmann::json& first = texts["texts"];
  const nlohmann::json& pairs = texts["pairs"];
  for (size_t row = 0; row < first.size(); ++row) {
    const std::string a = first[row].get<std::string>();
    EncodeOptions options;
    auto enc = pairs.is_array() ? tokenizer.EncodePair(a, pairs[row].get<std::string>(), options)
                                : tokenizer.Encode(a, options);
    ASSERT_TRUE(enc.ok()) << enc.status().message();
    std::vector<int32_t> padded(enc->ids), types(enc->type_ids), mask(enc->ids.size(), 1);
    padded.resize(seq, tokenizer.pad_id());
    types.resize(seq, 0);
    mask.resize(seq, 0);
    auto slice = [&](const std::vector<int32_t>& v) {
      return std::vector<int32_t>(v.begin() + row * seq, v.begin() + (row + 1) * seq);
    };
    EXPECT_EQ(padded, slice(ids.i32)) << "input_ids of row " << row;
    EXPECT_EQ(types, slice(ref["token_type_ids"].i32)) << "token_type_ids of row " << row;
    EXPECT_EQ(mask, slice(ref["attention_mask"].i32)) << "attention_mask of row " << row;
  }
}

void CheckBertMini(const std::string& model_name, const std::string& reference_name, int threads) {
  SCOPED_TRACE(reference_name + " threads=" + std::to_string(threads));
  SetNumThreads(threads);
  auto files = ReadDirectory(testing::SharedPath("models/" + model_name));
  ASSERT_TRUE(files.ok()) << files.status().message();
  auto model = Model::Load(files.value());
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto ref = testing::ReadReference(testing::SharedPath("reference/" + reference_name + ".safetensors"));
  const auto texts = nlohmann::json::parse(testing::ReadFileOrFail(testing::SharedPath("reference/" + reference_name + ".json")),
                                           nullptr, false);
  ASSERT_FALSE(texts.is_discarded());
  ASSERT_NE(model.value()->tokenizer(), nullptr);
  ExpectSameIds(*model.value()->tokenizer(), texts, ref);

  ForwardRequest request = testing::ReferenceRequest(ref);
  request.output_hidden_states = request.output_attentions = true;
  auto out = model.value()->Forward(request);
  ASSERT_TRUE(out.ok()) << out.status().message();
  constexpr double kTol = 1e-4;
  double logits;
  if (ref.count("logits")) {
    logits = testing::MaxAbsDiff(out->logits, ref["logits"].f32, "logits");
  } else {
    logits = std::max(testing::MaxAbsDiff(out->start_logits, ref["start_logits"].f32, "start_logits"),
                      testing::MaxAbsDiff(out->end_logits, ref["end_logits"].f32, "end_logits"));
  }
  const double hidden = testing::MaxAbsDiff(out->hidden_states, ref["hidden_states"].f32, "hidden_states");
  const double attn = testing::MaxAbsDiff(out->attentions, ref["attentions"].f32, "attentions");
  EXPECT_LE(logits, kTol);
  EXPECT_LE(hidden, kTol);
  EXPECT_LE(attn, kTol);
  std::printf("  %-26s threads=%d  logits %.2e  hidden %.2e  attentions %.2e\n", reference_name.c_str(), threads,
              logits, hidden, attn);
}

TEST(ParityBertMini, ReferencesReproduced) {
  BT_REQUIRE_SHARED();
  const std::pair<const char*, const char*> cases[] = {
      {"bert-mini-sst2", "bert-mini-sst2"},       {"bert-mini-sst2", "bert-mini-sst2.pairs"},
      {"bert-mini-mlm", "bert-mini-mlm"},         {"bert-mini-conll03", "bert-mini-conll03"},
      {"bert-mini-squad", "bert-mini-squad"},
  };
  for (int threads : {1, 2}) {
    for (const auto& [model, reference] : cases) CheckBertMini(model, reference, threads);
  }
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
