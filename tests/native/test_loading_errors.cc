// Bad checkpoints give clear errors naming the file/tensor/field, never a crash; a model loads
// normally afterwards. Each case corrupts a copy of a real tiny checkpoint in memory.
#include <cstring>

#include "io/config.h"
#include "io/safetensors.h"
#include "models/model.h"
#include "test_support.h"

namespace bt {
namespace {

const char* kTiny = "models/tiny/tiny-bert-bert-sequenceclassification";

FileStore TinyFiles() { return testing::SharedCheckpoint(kTiny); }

std::string LoadError(FileStore store) {
  auto model = Model::Load(store);
  return model.ok() ? "" : model.status().message();
}

using testing::Replace;
using testing::safetensors::Header;
using testing::safetensors::WithHeader;

class LoadingErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveShared()) GTEST_SKIP() << "shared assets not found at " << testing::SharedDir();
    weights_ = testing::ReadFileOrFail(testing::SharedPath(std::string(kTiny) + "/model.safetensors"));
    config_ = testing::ReadFileOrFail(testing::SharedPath(std::string(kTiny) + "/config.json"));
  }
  void TearDown() override {
    if (!testing::HaveShared()) return;
    EXPECT_EQ(LoadError(TinyFiles()), "") << "a good model must still load after the failure";
  }
  std::string WithWeights(const std::string& weights) {
    FileStore store = TinyFiles();
    EXPECT_TRUE(store.Put("model.safetensors", weights).ok());
    return LoadError(std::move(store));
  }
  std::string WithConfig(const std::string& config) {
    FileStore store = TinyFiles();
    EXPECT_TRUE(store.Put("config.json", config).ok());
    return LoadError(std::move(store));
  }
  std::string weights_, config_;
};

TEST_F(LoadingErrors, TruncatedFile) {
  EXPECT_NE(WithWeights(weights_.substr(0, 5)).find("model.safetensors: truncated"), std::string::npos);
  EXPECT_NE(WithWeights(weights_.substr(0, weights_.size() / 2)).find("out of range"), std::string::npos);
}

TEST_F(LoadingErrors, HeaderLengthBeyondFile) {
  std::string bad = weights_;
  uint64_t n = weights_.size();
  std::memcpy(bad.data(), &n, 8);
  EXPECT_NE(WithWeights(bad).find("header length"), std::string::npos);
}

TEST_F(LoadingErrors, OffsetsOutOfRangeOrOverlapping) {
  const std::string header = Header(weights_);
  // Point the classifier bias (12 bytes) at the first bytes of the data section, owned by another tensor.
  auto entry = [&](const std::string& name) {
    size_t at = header.find("\"" + name + "\"");
    size_t open = header.find("data_offsets", at);
    return header.substr(open, header.find(']', open) - open + 1);
  };
  std::string overlap = Replace(header, entry("classifier.bias"), "data_offsets\":[0,12]");
  EXPECT_NE(WithWeights(WithHeader(weights_, overlap)).find("overlap"), std::string::npos);
  std::string out_of_range = Replace(header, entry("classifier.bias"), "data_offsets\":[999999988,1000000000]");
  const std::string error = WithWeights(WithHeader(weights_, out_of_range));
  EXPECT_NE(error.find("classifier.bias"), std::string::npos) << error;
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
}

TEST_F(LoadingErrors, ShapeOrDtypeNotMatchingConfig) {
  const std::string error = WithConfig(Replace(config_, "\"hidden_size\": 32", "\"hidden_size\": 64"));
  EXPECT_NE(error.find("shape"), std::string::npos) << error;
  const std::string header = Header(weights_);
  std::string bad_dtype = Replace(header, "\"dtype\":\"F32\"", "\"dtype\":\"I32\"");
  const std::string dtype_error = WithWeights(WithHeader(weights_, bad_dtype));
  EXPECT_NE(dtype_error.find("dtype I32"), std::string::npos) << dtype_error;
}

TEST_F(LoadingErrors, MissingTensor) {
  std::string header = Header(weights_);
  header = Replace(header, "\"classifier.weight\"", "\"classifier.weigh_\"");
  const std::string error = WithWeights(WithHeader(weights_, header));
  EXPECT_NE(error.find("missing tensor 'classifier.weight'"), std::string::npos) << error;
}

TEST_F(LoadingErrors, UnknownModelTypeAndInvalidJson) {
  EXPECT_NE(WithConfig(Replace(config_, "\"bert\"", "\"gpt2\"")).find("unknown model_type 'gpt2'"), std::string::npos);
  EXPECT_NE(WithConfig("{\"model_type\": ").find("config.json: invalid JSON"), std::string::npos);
  EXPECT_NE(WithConfig(Replace(config_, "\"gelu\"", "\"swish\"")).find("activation 'swish'"), std::string::npos);
  FileStore store = TinyFiles();
  store.Erase("config.json");
  EXPECT_EQ(LoadError(std::move(store)), "missing config.json");
}

TEST(Float16, SubnormalsAreDecodedNotFlushed) {
  EXPECT_EQ(HalfToFloat(0x0001), 5.9604644775390625e-08f);  // smallest subnormal 2^-24
  EXPECT_EQ(HalfToFloat(0x03ff), 6.0975551605224609e-05f);  // largest subnormal
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(BFloat16ToFloat(0x3f80), 1.0f);
}

}  // namespace
}  // namespace bt

namespace bt {
namespace {

TEST(Limits, ViolationsNameTheLimitAndTheInstanceStaysUsable) {
  BT_REQUIRE_SHARED();
  FileStore store = TinyFiles();
  auto options = ParseLoadOptions(R"({"limits": {"max_batch": 2, "max_tokens": 40, "max_forward_bytes": 2000000}})");
  ASSERT_TRUE(options.ok()) << options.status().message();
  auto model = Model::Load(store, options.value());
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto run = [&](int32_t batch, int32_t seq, bool attentions) {
    ForwardRequest r;
    r.batch = batch;
    r.seq = seq;
    if (static_cast<int64_t>(batch) * seq < 100000) r.ids.assign(static_cast<size_t>(batch) * seq, 5);
    r.output_attentions = attentions;
    auto out = model.value()->Forward(r);
    return out.ok() ? std::string() : out.status().message();
  };
  EXPECT_NE(run(3, 4, false).find("limit max_batch=2 (raise it with the load option limits.max_batch)"),
            std::string::npos);
  EXPECT_NE(run(2, 30, false).find("limit max_tokens=40"), std::string::npos);
  EXPECT_NE(run(1, 2000000000, false).find("max_tokens"), std::string::npos);  // no overflow, no allocation
  EXPECT_EQ(run(2, 12, true), "");
  EXPECT_FALSE(ParseLoadOptions(R"({"limits": {"max_batch": 0}})").ok());
  EXPECT_FALSE(ParseLoadOptions(R"({"dtype": "q4"})").ok());
  auto tight = ParseLoadOptions(R"({"limits": {"max_header_bytes": 64}})");
  FileStore fresh = TinyFiles();
  auto refused = Model::Load(fresh, tight.value());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("max_header_bytes=64"), std::string::npos);
}

}  // namespace
}  // namespace bt

namespace bt {
namespace {

// tests/fuzz/FINDINGS.md F1: nested Sequences made the recursive builders overflow the stack. The
// nesting is now refused once, on the parsed JSON, before any builder runs.
TEST(TokenizerJson, DeepNestingIsAnErrorNotAStackOverflow) {
  auto nested = [](int levels) {
    std::string json = R"({"type": "Lowercase"})";
    for (int i = 0; i < levels; ++i) json = R"({"type": "Sequence", "normalizers": [)" + json + "]}";
    return R"({"normalizer": )" + json +
           R"(, "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}})";
  };
  auto shallow = Tokenizer::FromJson(nested(3));
  ASSERT_TRUE(shallow.ok()) << shallow.status().message();
  auto encoded = shallow.value()->Encode("A", EncodeOptions{});
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->ids, std::vector<int32_t>({1}));  // lowercased through three Sequences
  auto deep = Tokenizer::FromJson(nested(5000));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "tokenizer.json: nested more than 64 levels deep");
}

}  // namespace
}  // namespace bt
