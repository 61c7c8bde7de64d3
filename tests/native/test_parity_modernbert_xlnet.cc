// ModernBERT and XLNet tiny-v2 checkpoints reproduce Hugging Face's own outputs (reference.safetensors,
// made by HF's modeling code: ../shared/models/tiny-v2/*/SOURCE.md): every layer's hidden states (ModernBERT's
// last after the final norm), the attention probabilities (real query rows and padded rows as HF defines
// them: ModernBERT's uniform rows, XLNet's self-attending pads) and the head outputs, within
// 1e-5 × max(1, max |reference|), at 1 and 2 threads; and the q8 load runs and roughly agrees.
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

const char* const kModels[] = {
    "modernbert-model", "modernbert-maskedlm", "modernbert-sequenceclassification",
    "modernbert-sequenceclassification-cls", "modernbert-tokenclassification",
    "xlnet-model", "xlnet-lmhead", "xlnet-sequenceclassification", "xlnet-tokenclassification",
    "xlnet-questionanswering-simple",
};

double MaxAbs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

// max |a - b| / max(1, max |b|).
double Relative(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  return testing::MaxAbsDiff(a, b, what) / std::max(1.0, MaxAbs(b));
}

std::unique_ptr<Model> LoadTiny(const std::string& name, bool q8, std::map<std::string, testing::ReferenceTensor>* ref) {
  const std::string dir = testing::SharedPath("models/tiny-v2/" + name);
  auto files = ReadDirectory(dir);
  EXPECT_TRUE(files.ok()) << files.status().message();
  if (!files.ok()) return nullptr;
  *ref = testing::ReadReference(dir + "/reference.safetensors");
  files->Erase("reference.safetensors");
  files->Erase("SOURCE.md");
  LoadOptions options;
  options.quantize_int8 = q8;
  auto model = Model::Load(files.value(), options);
  EXPECT_TRUE(model.ok()) << name << ": " << model.status().message();
  return model.ok() ? std::move(model).value() : nullptr;
}

void CheckModel(const std::string& name, int threads) {
  SCOPED_TRACE(name + " threads=" + std::to_string(threads));
  SetNumThreads(threads);
  std::map<std::string, testing::ReferenceTensor> ref;
  auto model = LoadTiny(name, false, &ref);
  ASSERT_TRUE(model != nullptr);
  ForwardRequest request = testing::ReferenceRequest(ref);
  request.output_hidden_states = request.output_attentions = true;
  auto out = model->Forward(request);
  ASSERT_TRUE(out.ok()) << out.status().message();
  constexpr double kTol = 1e-5;
  double head = 0;
  if (ref.count("logits")) {
    head = Relative(out->logits, ref["logits"].f32, "logits");
    std::vector<int64_t> shape(out->logits_shape.begin(), out->logits_shape.end());
    EXPECT_EQ(shape, ref["logits"].shape);
  } else if (ref.count("start_logits")) {
    head = std::max(Relative(out->start_logits, ref["start_logits"].f32, "start_logits"),
                    Relative(out->end_logits, ref["end_logits"].f32, "end_logits"));
  }
  const double hidden = Relative(out->hidden_states, ref["hidden_states"].f32, "hidden_states");
  // Attention rows: real query rows and padded ones reported apart.
  const auto& attn = ref["attentions"];
  const auto& mask = ref["attention_mask"].i32;
  const int64_t layers = attn.shape[0], batch = attn.shape[1], heads = attn.shape[2], seq = attn.shape[3];
  ASSERT_EQ(out->attentions.size(), attn.f32.size());
  double real = 0, padded = 0;
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t hh = 0; hh < heads; ++hh)
        for (int64_t i = 0; i < seq; ++i) {
          double& worst = mask[b * seq + i] != 0 ? real : padded;
          for (int64_t j = 0; j < seq; ++j) {
            const size_t at = static_cast<size_t>((((l * batch + b) * heads + hh) * seq + i) * seq + j);
            worst = std::max(worst, static_cast<double>(std::fabs(out->attentions[at] - attn.f32[at])));
          }
        }
  EXPECT_LE(head, kTol);
  EXPECT_LE(hidden, kTol);
  EXPECT_LE(real, kTol);
  EXPECT_LE(padded, kTol);
  if (ref.count("last_hidden_state")) {
    EXPECT_LE(Relative(out->last_hidden_state, ref["last_hidden_state"].f32, "last_hidden_state"), kTol);
  }
  std::printf("  %-40s threads=%d  head %.2e  hidden %.2e  attn real %.2e padded %.2e (relative to max(1,|ref|))\n",
              name.c_str(), threads, head, hidden, real, padded);

  // The pipelines' call: head outputs only (the last layer pruned to the rows the head reads).
  ForwardRequest heads_only = testing::ReferenceRequest(ref);
  heads_only.output_last_hidden_state = false;
  auto pruned = model->Forward(heads_only);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  if (ref.count("logits")) EXPECT_LE(Relative(pruned->logits, ref["logits"].f32, "pruned logits"), kTol);
}

TEST(ParityModernBertXlnet, EveryModelMatchesHuggingFace) {
  BT_REQUIRE_SHARED();
  for (int threads : {1, 2}) {
    for (const char* name : kModels) CheckModel(name, threads);
  }
  SetNumThreads(1);
}

// q8 (int8 encoder weights and word embeddings): loads and runs; on random weights accuracy cannot be
// judged, so the logits only have to stay close to fp32's (relative to their spread).
TEST(ParityModernBertXlnet, Q8LoadsAndRoughlyAgrees) {
  BT_REQUIRE_SHARED();
  for (const char* name : kModels) {
    SCOPED_TRACE(name);
    std::map<std::string, testing::ReferenceTensor> ref;
    auto fp32 = LoadTiny(name, false, &ref);
    auto q8 = LoadTiny(name, true, &ref);
    ASSERT_TRUE(fp32 != nullptr && q8 != nullptr);
    ForwardRequest request = testing::ReferenceRequest(ref);
    auto a = fp32->Forward(request);
    auto b = q8->Forward(request);
    ASSERT_TRUE(a.ok() && b.ok());
    const std::vector<float>& x = a->logits.empty() ? a->last_hidden_state : a->logits;
    const std::vector<float>& y = b->logits.empty() ? b->last_hidden_state : b->logits;
    ASSERT_EQ(x.size(), y.size());
    double diff = 0, norm = 0, worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_TRUE(std::isfinite(y[i]));
      diff += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
      norm += x[i] * static_cast<double>(x[i]);
      worst = std::max(worst, static_cast<double>(std::fabs(x[i] - y[i])));
    }
    const double ratio = std::sqrt(diff / norm);  // ‖q8 − fp32‖ / ‖fp32‖, as test_quantized.cc judges BERT
    std::printf("  %-40s q8 vs fp32: relative RMS %.3f, max |diff| %.3g of max |fp32| %.3g\n", name, ratio, worst,
                MaxAbs(x));
    EXPECT_LE(ratio, 0.3);
  }
}

// ModernBERT's 8,192-token contexts: the tiny checkpoint with max_position_embeddings 8192 (rotary
// positions: no table grows) runs one 8,192-token sequence the way fill-mask asks for it (the head on
// two rows, the last layer pruned to them) within the default limits; the result equals the same rows
// of the unpruned forward bit for bit.
TEST(ParityModernBertXlnet, ModernBertLongContext) {
  BT_REQUIRE_SHARED();
  SetNumThreads(2);
  const std::string dir = testing::SharedPath("models/tiny-v2/modernbert-maskedlm");
  auto files = ReadDirectory(dir);
  ASSERT_TRUE(files.ok());
  files->Erase("reference.safetensors");
  files->Erase("SOURCE.md");
  auto config = files->ReadText("config.json");
  ASSERT_TRUE(config.ok());
  std::string text = config.value();
  const std::string key = "\"max_position_embeddings\": 64";
  ASSERT_NE(text.find(key), std::string::npos);
  text.replace(text.find(key), key.size(), "\"max_position_embeddings\": 8192");
  ASSERT_TRUE(files->Put("config.json", text).ok());
  auto model = Model::Load(files.value());
  ASSERT_TRUE(model.ok()) << model.status().message();
  constexpr int32_t kSeq = 8192;
  ForwardRequest request;
  request.batch = 1;
  request.seq = kSeq;
  for (int32_t t = 0; t < kSeq; ++t) request.ids.push_back(t == 0 ? 1 : t == kSeq - 1 ? 2 : 5 + (t * 7919) % 990);
  request.output_last_hidden_state = false;
  request.head_rows_set = true;
  request.head_rows = {100, kSeq - 2};
  auto pruned = model.value()->Forward(request);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  for (float v : pruned->logits) ASSERT_TRUE(std::isfinite(v));
  const size_t workspace = model.value()->workspace_bytes();
  request.output_last_hidden_state = true;
  auto full = model.value()->Forward(request);
  ASSERT_TRUE(full.ok()) << full.status().message();
  EXPECT_EQ(pruned->logits, full->logits);
  std::printf("  modernbert 8192 tokens: head-only workspace %.1f MB (hidden 32)\n", workspace / 1048576.0);
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
