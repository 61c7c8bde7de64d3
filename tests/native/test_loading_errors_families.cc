// Loading errors of the issue-16 families (../shared/models/tiny-v2): a checkpoint missing a tensor its
// config requires, a tensor whose shape disagrees with the config, an unknown model_type /
// position_embedding_type / hidden_act, a task type id out of range — each a typed error naming the
// tensor or field (and, for UNSUPPORTED, the supported values); a model loaded before keeps giving the
// same outputs bit for bit, and good models still load afterwards.
#include <set>
#include <sstream>

#include "io/config.h"
#include "models/architecture.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

std::string Folder(const std::string& name) { return testing::SharedPath("models/tiny-v2/" + name); }

FileStore Files(const std::string& name) { return testing::SharedCheckpoint("models/tiny-v2/" + name); }

using testing::Replace;
using testing::safetensors::Header;
using testing::safetensors::WithHeader;

struct LoadFailure {
  StatusCode code = StatusCode::kOk;
  std::string message;
};

LoadFailure Load(FileStore store) {
  auto model = Model::Load(store);
  if (model.ok()) return {};
  return {model.status().code(), model.status().message()};
}

// The model's files with one tensor renamed away (same length: the offsets stay valid).
LoadFailure WithoutTensor(const std::string& name, const std::string& tensor) {
  FileStore store = Files(name);
  const std::string weights = testing::ReadFileOrFail(Folder(name) + "/model.safetensors");
  std::string renamed = tensor;
  renamed.back() = '_';
  EXPECT_TRUE(store.Put("model.safetensors",
                        WithHeader(weights, Replace(Header(weights), "\"" + tensor + "\"", "\"" + renamed + "\"")))
                  .ok());
  return Load(std::move(store));
}

LoadFailure WithConfig(const std::string& name, const std::string& from, const std::string& to) {
  FileStore store = Files(name);
  const std::string config = testing::ReadFileOrFail(Folder(name) + "/config.json");
  EXPECT_TRUE(store.Put("config.json", Replace(config, from, to)).ok());
  return Load(std::move(store));
}

#define EXPECT_MENTIONS(failure, text) \
  EXPECT_NE((failure).message.find(text), std::string::npos) << "message: " << (failure).message

class FamilyLoadingErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveShared()) GTEST_SKIP() << "shared assets not found at " << testing::SharedDir();
    // A model loaded before the failures: it must keep giving the same outputs afterwards.
    auto files = Files("ernie-sequenceclassification");
    auto model = Model::Load(files);
    ASSERT_TRUE(model.ok()) << model.status().message();
    bystander_ = std::move(model).value();
    auto ref = testing::ReadReference(Folder("ernie-sequenceclassification") + "/reference.safetensors");
    request_ = testing::ReferenceRequest(ref);
    request_.output_hidden_states = request_.output_attentions = true;
    auto out = bystander_->Forward(request_);
    ASSERT_TRUE(out.ok()) << out.status().message();
    before_ = out.value();
  }
  void TearDown() override {
    if (!testing::HaveShared() || bystander_ == nullptr) return;
    auto out = bystander_->Forward(request_);
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_EQ(out->logits, before_.logits) << "the model loaded before the failures changed";
    EXPECT_EQ(out->hidden_states, before_.hidden_states);
    EXPECT_EQ(out->attentions, before_.attentions);
    for (const char* good : {"electra-discriminator", "xlm-roberta-maskedlm"}) {
      EXPECT_EQ(Load(Files(good)).message, "") << good << " must still load after the failures";
    }
  }
  std::unique_ptr<Model> bystander_;
  ForwardRequest request_;
  ForwardResult before_;
};

TEST_F(FamilyLoadingErrors, MissingTensorIsNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"electra-discriminator", "electra.embeddings_project.weight"},
      {"electra-discriminator", "discriminator_predictions.dense_prediction.bias"},
      {"electra-maskedlm", "generator_lm_head.bias"},
      {"electra-sequenceclassification", "classifier.out_proj.weight"},
      {"ernie-model", "embeddings.task_type_embeddings.weight"},
      {"ernie-tokenclassification", "ernie.encoder.layer.1.output.dense.weight"},
      {"xlm-roberta-maskedlm", "lm_head.layer_norm.weight"},
      {"camembert-sequenceclassification", "roberta.embeddings.position_embeddings.weight"},
  };
  for (const auto& [model, tensor] : cases) {
    const LoadFailure f = WithoutTensor(model, tensor);
    EXPECT_EQ(f.code, StatusCode::kBadCheckpoint) << model << " without " << tensor << ": " << f.message;
    EXPECT_MENTIONS(f, std::string("missing tensor '") + tensor + "'");
  }
}

TEST_F(FamilyLoadingErrors, ShapeDisagreeingWithConfigIsNamed) {
  // ELECTRA's embeddings are embedding_size wide: a config saying 8 disagrees with the [1000, 16] table.
  LoadFailure f = WithConfig("electra-discriminator", "\"embedding_size\": 16", "\"embedding_size\": 8");
  EXPECT_EQ(f.code, StatusCode::kBadCheckpoint) << f.message;
  EXPECT_MENTIONS(f, "electra.embeddings.word_embeddings.weight");
  EXPECT_MENTIONS(f, "shape");
  // ERNIE's task type table has task_type_vocab_size rows.
  f = WithConfig("ernie-maskedlm", "\"task_type_vocab_size\": 3", "\"task_type_vocab_size\": 4");
  EXPECT_EQ(f.code, StatusCode::kBadCheckpoint) << f.message;
  EXPECT_MENTIONS(f, "ernie.embeddings.task_type_embeddings.weight");
  // XLM-RoBERTa's position table.
  f = WithConfig("xlm-roberta-tokenclassification", "\"max_position_embeddings\": 66", "\"max_position_embeddings\": 514");
  EXPECT_EQ(f.code, StatusCode::kBadCheckpoint) << f.message;
  EXPECT_MENTIONS(f, "roberta.embeddings.position_embeddings.weight");
}

TEST_F(FamilyLoadingErrors, UnsupportedSettingsListWhatIsSupported) {
  LoadFailure f = WithConfig("xlm-roberta-maskedlm", "\"xlm-roberta\"", "\"xlm-roberta-xl\"");
  EXPECT_EQ(f.code, StatusCode::kUnsupported);
  EXPECT_MENTIONS(f, "model_type 'xlm-roberta-xl'");
  for (const char* type : {"bert", "roberta", "xlm-roberta", "camembert", "ernie", "electra"}) EXPECT_MENTIONS(f, type);

  f = WithConfig("ernie-model", "\"model_type\": \"ernie\"",
                 "\"model_type\": \"ernie\", \"position_embedding_type\": \"rotary\"");
  EXPECT_EQ(f.code, StatusCode::kUnsupported);
  EXPECT_MENTIONS(f, "position_embedding_type 'rotary'");
  EXPECT_MENTIONS(f, "supported: absolute");

  f = WithConfig("electra-tokenclassification", "\"hidden_act\": \"gelu\"", "\"hidden_act\": \"silu\"");
  EXPECT_EQ(f.code, StatusCode::kUnsupported);
  EXPECT_MENTIONS(f, "hidden_act");
  EXPECT_MENTIONS(f, "'silu'");
  EXPECT_MENTIONS(f, "supported: gelu, gelu_new");
}

TEST_F(FamilyLoadingErrors, TaskTypeIdsAreChecked) {
  auto files = Files("ernie-questionanswering");
  auto model = Model::Load(files);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ForwardRequest r;
  r.batch = 1;
  r.seq = 3;
  r.ids = {1, 5, 2};
  r.task_type_ids = {0, 3, 0};
  auto out = model.value()->Forward(r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("task type id 3 at batch row 0, position 1"), std::string::npos)
      << out.status().message();
  r.task_type_ids = {0, 1};
  EXPECT_EQ(model.value()->Forward(r).status().code(), StatusCode::kInvalidArgument);
  // A model without task types accepts only zeros (the default).
  auto notask_files = Files("ernie-sequenceclassification-notask");
  auto notask = Model::Load(notask_files);
  ASSERT_TRUE(notask.ok());
  r.task_type_ids = {0, 0, 0};
  EXPECT_TRUE(notask.value()->Forward(r).ok());
  r.task_type_ids = {0, 1, 0};
  auto bad = notask.value()->Forward(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no task type embeddings"), std::string::npos) << bad.status().message();
  // The models still run after the rejected calls.
  r.task_type_ids = {0, 2, 1};
  EXPECT_TRUE(model.value()->Forward(r).ok());
}

TEST(FamilyTable, ConfigAndArchitectureTableListTheSameModelTypes) {
  auto split = [](const std::string& list) {
    std::set<std::string> out;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
      item.erase(0, item.find_first_not_of(' '));
      out.insert(item);
    }
    return out;
  };
  EXPECT_EQ(split(SupportedModelTypeList()), split(SupportedModelTypes()));
  for (const std::string& type : split(SupportedModelTypes())) EXPECT_NE(FindArchitecture(type), nullptr) << type;
}

}  // namespace
}  // namespace bt
