// The one forward pass (src/models/forward.h) and the model's arena (src/core/arena.h): the plan's
// size is what the run uses and what the limit max_forward_bytes sees; the arena is reserved at load,
// grows only for a larger shape and is reused; models never share working memory (interleaved and
// destroyed models leave the others' outputs bit for bit); an explanation gives back what its taped
// batches grew the arena by; the parameter-gradient tape keeps each layer's input (= the inference
// forward's hidden state of that layer, bit for bit).
#include <cstring>

#include "explain/explain.h"
#include "models/backward_weights.h"
#include "models/forward.h"
#include "models/model.h"
#include "test_support.h"

namespace bt {
namespace {

ForwardRequest Request(const Model& model, int32_t batch, int32_t seq, uint32_t seed) {
  ForwardRequest r;
  r.batch = batch;
  r.seq = seq;
  for (int32_t i = 0; i < batch * seq; ++i) {
    seed = seed * 1103515245u + 12345u;
    r.ids.push_back(1 + static_cast<int32_t>((seed >> 8) % static_cast<uint32_t>(model.parts().encoder.vocab_size - 1)));
  }
  return r;
}

TEST(ForwardPlan, ArenaIsReservedAtLoadGrowsForLargerShapesAndIsReused) {
  BT_REQUIRE_SHARED();
  auto model = testing::LoadSharedModel("models/tiny/tiny-bert-bert-sequenceclassification");
  ASSERT_NE(model, nullptr);
  const size_t at_load = model->workspace_bytes();
  EXPECT_GT(at_load, 0u);
  for (const char* name : {"models/tiny/tiny-bert-bert-tokenclassification", "models/tiny/tiny-bert-bert-maskedlm",
                           "models/tiny/tiny-distilbert-distilbert-questionanswering"}) {
    auto other = testing::LoadSharedModel(name);
    ASSERT_NE(other, nullptr);
    const size_t reserved = other->workspace_bytes();
    ForwardRequest r = Request(*other, 1, other->max_sequence(), 1);
    r.output_last_hidden_state = false;
    if (other->head() == HeadKind::kMaskedLm) {
      r.head_rows_set = true;
      r.head_rows = {3};
    }
    ASSERT_TRUE(other->Forward(r).ok());
    EXPECT_EQ(other->workspace_bytes(), reserved) << name;
  }
  ForwardRequest one = Request(*model, 1, model->max_sequence(), 1);
  one.output_last_hidden_state = false;  // a classifier's forward: what load reserved for
  ASSERT_TRUE(model->Forward(one).ok());
  EXPECT_EQ(model->workspace_bytes(), at_load) << "one sequence of the maximum length fits the load-time arena";
  ForwardRequest four = Request(*model, 4, 40, 2);
  four.output_attentions = true;
  ASSERT_TRUE(model->Forward(four).ok());
  const size_t grown = model->workspace_bytes();
  EXPECT_GT(grown, at_load);
  ASSERT_TRUE(model->Forward(Request(*model, 2, 40, 3)).ok());
  EXPECT_EQ(model->workspace_bytes(), grown) << "a smaller shape reuses the arena";
  // The plan of the largest call (4 x 40, last_hidden_state and attentions returned, the classifier on
  // the first tokens) is what the arena holds.
  std::vector<float> outside(1);
  std::vector<int32_t> first = {0, 40, 80, 120}, ones(four.ids.size(), 1);
  ForwardSpec spec;
  spec.input = EncoderInput{4, 40, four.ids.data(), nullptr, ones.data()};
  spec.run_head = true;
  spec.head_rows = RowSelection{first.data(), 4};
  spec.hidden = spec.attentions = outside.data();  // not in the arena
  EXPECT_EQ(ForwardArenaBytes(model->parts(), spec, DefaultThreadPool()), grown);
}

TEST(ForwardPlan, ModelsNeverShareWorkingMemory) {
  BT_REQUIRE_SHARED();
  auto a = testing::LoadSharedModel("models/tiny/tiny-bert-bert-sequenceclassification");
  auto b = testing::LoadSharedModel("models/tiny/tiny-distilbert-distilbert-maskedlm");
  LoadOptions q8;
  q8.quantize_int8 = true;
  auto c = testing::LoadSharedModel("models/tiny/tiny-roberta-roberta-sequenceclassification", q8);
  ASSERT_TRUE(a && b && c);
  const ForwardRequest ra = Request(*a, 3, 33, 4), rb = Request(*b, 2, 21, 5), rc = Request(*c, 5, 17, 6);
  auto solo_b = b->Forward(rb);
  auto solo_c = c->Forward(rc);
  ASSERT_TRUE(solo_b.ok() && solo_c.ok());
  for (int round = 0; round < 2; ++round) {  // interleaved, different shapes, int8 and f32 kernels
    auto xa = a->Forward(ra);
    auto xb = b->Forward(rb);
    auto xc = c->Forward(rc);
    ASSERT_TRUE(xa.ok() && xb.ok() && xc.ok());
    EXPECT_EQ(xb->logits, solo_b->logits);
    EXPECT_EQ(xc->logits, solo_c->logits);
  }
  a.reset();  // destroying a model frees its arena only
  auto after = b->Forward(rb);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->logits, solo_b->logits);
  EXPECT_EQ(after->last_hidden_state, solo_b->last_hidden_state);
}

TEST(ForwardPlan, TheLimitSeesThePlan) {
  BT_REQUIRE_SHARED();
  auto model = testing::LoadSharedModel("models/tiny/tiny-bert-bert-tokenclassification");
  ASSERT_NE(model, nullptr);
  ForwardRequest r = Request(*model, 2, 30, 7);
  r.output_last_hidden_state = false;
  ForwardSpec spec;
  std::vector<int32_t> ones(r.ids.size(), 1);
  spec.input = EncoderInput{2, 30, r.ids.data(), nullptr, ones.data()};
  spec.run_head = true;
  spec.head_rows = RowSelection{nullptr, 60};
  const std::vector<int32_t> first = {0, 30};
  double outputs = 60.0 * model->parts().head_program.output_size();
  if (!model->parts().pooler.empty()) {
    spec.run_pooler = true;
    spec.pooler_rows = RowSelection{first.data(), 2};
    outputs += 2.0 * model->parts().encoder.hidden_size;
  }
  const double need = static_cast<double>(ForwardArenaBytes(model->parts(), spec, DefaultThreadPool())) + 4.0 * outputs;
  for (const auto& [limit, ok] : {std::pair{need - 64, false}, std::pair{need, true}}) {
    auto options = ParseLoadOptions("{\"limits\": {\"max_forward_bytes\": " + std::to_string(static_cast<int64_t>(limit)) + "}}");
    ASSERT_TRUE(options.ok());
    auto limited = testing::LoadSharedModel("models/tiny/tiny-bert-bert-tokenclassification", options.value());
    ASSERT_NE(limited, nullptr);
    auto out = limited->Forward(r);
    EXPECT_EQ(out.ok(), ok) << limit << " " << (out.ok() ? "" : out.status().message());
    if (!ok) EXPECT_EQ(out.status().code(), StatusCode::kLimit);
  }
}

TEST(ForwardPlan, ExplanationsGiveBackWhatTheyGrew) {
  BT_REQUIRE_SHARED();
  auto model = testing::LoadSharedModel("models/tiny/tiny-bert-bert-sequenceclassification");
  ASSERT_NE(model, nullptr);
  const size_t at_load = model->workspace_bytes();
  Explainer explainer(*model);
  ExplainRequest r;
  r.method = ExplainMethod::kIntegratedGradients;
  r.ids = Request(*model, 1, 20, 8).ids;
  for (int32_t t = 0; t < 20; ++t) r.words.push_back(t == 0 || t == 19 ? -1 : t - 1);
  r.target.index = 1;
  r.max_batch_tokens = 400;
  ASSERT_TRUE(explainer.Explain(r, DefaultThreadPool()).ok());
  EXPECT_EQ(model->workspace_bytes(), at_load);
}

TEST(ForwardPlan, ParameterTapeKeepsEachLayersInput) {
  BT_REQUIRE_SHARED();
  for (const char* name : {"models/tiny/tiny-albert-albert-sequenceclassification", "models/tiny/tiny-bert-bert-maskedlm"}) {
    SCOPED_TRACE(name);
    auto model = testing::LoadSharedModel(name);
    ASSERT_NE(model, nullptr);
    ForwardRequest r = Request(*model, 2, 9, 9);
    r.mask.assign(r.ids.size(), 1);
    r.mask[15] = r.mask[16] = r.mask[17] = 0;
    r.output_hidden_states = true;
    auto inference = model->Forward(r);
    ASSERT_TRUE(inference.ok());
    const ModelParts& parts = model->parts();
    BackwardWeights bw;
    ASSERT_TRUE(bw.Build(parts.encoder).ok());
    ForwardSpec spec;
    spec.input = EncoderInput{2, 9, r.ids.data(), nullptr, r.mask.data()};
    spec.run_head = true;
    spec.head_rows = RowSelection{nullptr, parts.head_program.first_token_only ? 0 : 18};
    std::vector<int32_t> first = {0, 9};
    if (parts.head_program.first_token_only) spec.head_rows = RowSelection{first.data(), 2};
    spec.tape = true;
    spec.tape_contents = TapeContents::kParameterGradients;
    spec.backward = &bw;
    Arena arena;
    auto pass = RunForward(parts, spec, arena, DefaultThreadPool());
    ASSERT_TRUE(pass.ok());
    const size_t mh = 18 * static_cast<size_t>(parts.encoder.hidden_size);
    for (int32_t l = 0; l < parts.encoder.num_layers(); ++l) {
      EXPECT_EQ(0, std::memcmp(pass->tape.layers[l].input, inference->hidden_states.data() + l * mh, mh * sizeof(float)))
          << "layer " << l;
    }
    EXPECT_EQ(0, std::memcmp(pass->hidden, inference->hidden_states.data() + parts.encoder.num_layers() * mh,
                             mh * sizeof(float)));
    const size_t n = static_cast<size_t>(spec.head_rows.count) * parts.head_program.output_size();
    EXPECT_EQ(0, std::memcmp(pass->head, inference->logits.data(), n * sizeof(float)));
  }
}

}  // namespace
}  // namespace bt
