// The tiny-v2 reference harness (issue 16): every folder listed in tests/fixtures/tiny-v2-models.json
// (under ../shared/models/tiny-v2) loads from model.safetensors + config.json and reproduces its
// reference.safetensors — made by Hugging Face's own modeling code, see each folder's SOURCE.md —
// within 1e-5 x max(1, max|reference|) per tensor: every layer's hidden states, the attention
// probabilities (real query rows and padded query rows, both as Hugging Face computes them) and the
// head's outputs (logits / start+end logits / last_hidden_state / pooler_output), with 1 and 2
// threads; and the head-only forward the pipelines use (pruned last layer) gives the same head outputs.
// The wasm twin is tests/js/parity-tiny-v2.test.mjs.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/thread_pool.h"
#include "io/json_util.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

constexpr double kRelTol = 1e-5;

std::vector<std::string> ListedModels() {
  const std::string text = testing::ReadFileOrFail(std::string(BERTOLOGY_SOURCE_DIR) + "/tests/fixtures/tiny-v2-models.json");
  auto json = ParseJson(text, "tiny-v2-models.json");
  std::vector<std::string> names;
  if (!json.ok() || !json.value().contains("models") || !json.value()["models"].is_array()) {
    ADD_FAILURE() << "tests/fixtures/tiny-v2-models.json: expected {\"models\": [folder, ...]}";
    return names;
  }
  for (const Json& name : json.value()["models"]) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return names;
}

struct Diff {
  double err = 0, ref = 0;  // max |a - b|, max |b|
  double tol() const { return kRelTol * std::max(1.0, ref); }
  double rel() const { return err / std::max(1.0, ref); }
};

Diff Compare(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  Diff d;
  if (a.size() != b.size()) {
    ADD_FAILURE() << what << ": " << a.size() << " values, the reference has " << b.size();
    d.err = INFINITY;
    return d;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    d.ref = std::max(d.ref, static_cast<double>(std::fabs(b[i])));
    const double e = std::fabs(static_cast<double>(a[i]) - b[i]);
    d.err = std::isnan(e) ? INFINITY : std::max(d.err, e);
  }
  return d;
}

// The last entry of hidden_states [layers + 1, ...] against the engine's last_hidden_state.
Diff LastHidden(const ForwardResult& out, const testing::ReferenceTensor& hidden_states) {
  const size_t n = out.last_hidden_state.size();
  if (hidden_states.f32.size() < n) return Compare(out.last_hidden_state, hidden_states.f32, "last_hidden_state");
  const std::vector<float> last(hidden_states.f32.end() - static_cast<std::ptrdiff_t>(n), hidden_states.f32.end());
  return Compare(out.last_hidden_state, last, "last_hidden_state");
}

// Attention probabilities [layers, batch, heads, seq, seq], split by whether the query row is a real
// token or padding.
std::pair<Diff, Diff> CompareAttentions(const std::vector<float>& a, const std::vector<float>& b,
                                        const std::vector<int32_t>& mask, int32_t layers, int32_t batch, int32_t heads,
                                        int32_t seq) {
  Diff real, padded;
  if (a.size() != b.size() || b.size() != static_cast<size_t>(layers) * batch * heads * seq * seq) {
    ADD_FAILURE() << "attentions: " << a.size() << " values, the reference has " << b.size();
    real.err = INFINITY;
    return {real, padded};
  }
  size_t i = 0;
  for (int32_t l = 0; l < layers; ++l) {
    for (int32_t bi = 0; bi < batch; ++bi) {
      for (int32_t h = 0; h < heads; ++h) {
        for (int32_t q = 0; q < seq; ++q) {
          Diff& d = mask[static_cast<size_t>(bi) * seq + q] != 0 ? real : padded;
          for (int32_t k = 0; k < seq; ++k, ++i) {
            d.ref = std::max(d.ref, static_cast<double>(std::fabs(b[i])));
            const double e = std::fabs(static_cast<double>(a[i]) - b[i]);
            d.err = std::isnan(e) ? INFINITY : std::max(d.err, e);
          }
        }
      }
    }
  }
  return {real, padded};
}

void CheckModel(const std::string& name, int threads) {
  SCOPED_TRACE(name + " threads=" + std::to_string(threads));
  SetNumThreads(threads);
  const std::string dir = testing::SharedPath("models/tiny-v2/" + name);
  auto files = ReadDirectory(dir);
  ASSERT_TRUE(files.ok()) << files.status().message();
  auto ref = testing::ReadReference(dir + "/reference.safetensors");
  ASSERT_FALSE(ref.empty());
  files->Erase("reference.safetensors");
  files->Erase("SOURCE.md");
  auto model = Model::Load(files.value());
  ASSERT_TRUE(model.ok()) << model.status().message();
  Model& m = *model.value();

  ForwardRequest request = testing::ReferenceRequest(ref);
  request.output_hidden_states = request.output_attentions = true;
  auto out = m.Forward(request);
  ASSERT_TRUE(out.ok()) << out.status().message();

  std::string line;
  auto check = [&](const char* kind, const Diff& d) {
    EXPECT_LE(d.err, d.tol()) << name << " " << kind << ": max abs error " << d.err << " over max|ref| " << d.ref;
    char buf[96];
    std::snprintf(buf, sizeof buf, "  %s %.1e/%.1f", kind, d.err, d.ref);
    line += buf;
  };
  const std::pair<const char*, const std::vector<float>*> heads[] = {
      {"logits", &out->logits},
      {"start_logits", &out->start_logits},
      {"end_logits", &out->end_logits},
      {"last_hidden_state", &out->last_hidden_state},
      {"pooler_output", &out->pooled},
  };
  int head_outputs = 0;
  for (const auto& [key, values] : heads) {
    if (!ref.count(key)) continue;
    ++head_outputs;
    check(key, Compare(*values, ref[key].f32, key));
  }
  // (A base model's reference may hold only hidden_states, whose last entry is its last hidden state.)
  if (head_outputs == 0) check("last_hidden_state(=hidden_states[-1])", LastHidden(out.value(), ref["hidden_states"]));
  if (ref.count("logits")) {
    std::vector<int64_t> shape(out->logits_shape.begin(), out->logits_shape.end());
    EXPECT_EQ(shape, ref["logits"].shape) << "logits shape";
  }
  check("hidden_states", Compare(out->hidden_states, ref["hidden_states"].f32, "hidden_states"));
  const auto& shape = ref["attentions"].shape;
  ASSERT_EQ(shape.size(), 5u);
  const auto [real, padded] =
      CompareAttentions(out->attentions, ref["attentions"].f32, request.mask, static_cast<int32_t>(shape[0]),
                        request.batch, static_cast<int32_t>(shape[2]), request.seq);
  check("attentions(real rows)", real);
  check("attentions(padded rows)", padded);

  // The pipelines' call: head outputs only (the last layer may run on the rows the head reads).
  ForwardRequest head_only = testing::ReferenceRequest(ref);
  head_only.output_last_hidden_state = false;
  auto pruned = m.Forward(head_only);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  if (ref.count("logits")) check("logits(head-only)", Compare(pruned->logits, ref["logits"].f32, "logits"));
  if (ref.count("start_logits")) check("start(head-only)", Compare(pruned->start_logits, ref["start_logits"].f32, "start"));
  if (ref.count("pooler_output")) check("pooler(head-only)", Compare(pruned->pooled, ref["pooler_output"].f32, "pooler"));
  std::printf("%-42s thr=%d%s\n", name.c_str(), threads, line.c_str());
}

TEST(ParityTinyV2, EveryListedModelMatchesHuggingFace) {
  BT_REQUIRE_SHARED();
  const auto models = ListedModels();
  ASSERT_FALSE(models.empty());
  std::printf("max abs error / max|reference| per tensor (tolerance 1e-5 x max(1, max|reference|))\n");
  for (int threads : {1, 2}) {
    for (const std::string& name : models) CheckModel(name, threads);
  }
  SetNumThreads(1);
}

}  // namespace
}  // namespace bt
