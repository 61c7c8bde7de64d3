// Every failure carries a StatusCode that says what kind it is (src/core/status.h); JS keeps it as
// BertologyError.code. One case per code, from the engine's real entry points (load, forward,
// tokenize, explain options), and the instance keeps working afterwards.
#include <cstring>

#include "explain/request_json.h"
#include "io/json_util.h"
#include "models/model.h"
#include "test_support.h"

namespace bt {
namespace {

const char* kTiny = "models/tiny/tiny-bert-bert-sequenceclassification";

FileStore TinyFiles(const std::string& config = "") {
  FileStore store;
  for (const char* name : {"config.json", "model.safetensors"}) {
    EXPECT_TRUE(store.Put(name, testing::ReadFileOrFail(testing::SharedPath(std::string(kTiny) + "/" + name))).ok());
  }
  if (!config.empty()) EXPECT_TRUE(store.Put("config.json", config).ok());
  return store;
}

StatusCode LoadCode(FileStore store, const LoadOptions& options = {}) {
  auto model = Model::Load(store, options);
  return model.ok() ? StatusCode::kOk : model.status().code();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(StatusCodes, NamesAreTheJsCodes) {
  EXPECT_STREQ(StatusCodeName(StatusCode::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_STREQ(StatusCodeName(StatusCode::kLimit), "LIMIT");
  EXPECT_STREQ(StatusCodeName(StatusCode::kBadCheckpoint), "BAD_CHECKPOINT");
  EXPECT_STREQ(StatusCodeName(StatusCode::kUnsupported), "UNSUPPORTED");
  EXPECT_STREQ(StatusCodeName(StatusCode::kFileNotFound), "FILE_NOT_FOUND");
  // A failure is never code-less; context and reclassification keep message and details.
  EXPECT_EQ(Status(StatusCode::kOk, "x").code(), StatusCode::kInternal);
  const Status s = Status::BadCheckpoint("tensor 'w'").WithDetails({"model.safetensors", "w", ""});
  EXPECT_EQ(s.WithContext("load").message(), "load: tensor 'w'");
  EXPECT_EQ(s.WithContext("load").code(), StatusCode::kBadCheckpoint);
  EXPECT_EQ(s.WithCode(StatusCode::kInvalidArgument).details().field, "w");
  EXPECT_TRUE(Status::Ok().WithCode(StatusCode::kLimit).ok());
  EXPECT_EQ(Result<int>(Status::Ok()).status().code(), StatusCode::kInternal);
}

TEST(StatusCodes, Loading) {
  BT_REQUIRE_SHARED();
  const std::string config = testing::ReadFileOrFail(testing::SharedPath(std::string(kTiny) + "/config.json"));
  FileStore no_config = TinyFiles();
  no_config.Erase("config.json");
  EXPECT_EQ(LoadCode(std::move(no_config)), StatusCode::kFileNotFound);
  FileStore no_weights = TinyFiles();
  no_weights.Erase("model.safetensors");
  EXPECT_EQ(LoadCode(std::move(no_weights)), StatusCode::kFileNotFound);
  EXPECT_EQ(LoadCode(TinyFiles("{\"model_type\": ")), StatusCode::kBadCheckpoint);
  EXPECT_EQ(LoadCode(TinyFiles(Replace(config, "\"hidden_size\": 32", "\"hidden_size\": 64"))),
            StatusCode::kBadCheckpoint);  // shapes disagree with the config
  EXPECT_EQ(LoadCode(TinyFiles(Replace(config, "\"bert\"", "\"gpt2\""))), StatusCode::kUnsupported);
  EXPECT_EQ(LoadCode(TinyFiles(Replace(config, "\"gelu\"", "\"swish\""))), StatusCode::kUnsupported);
  auto tight = ParseLoadOptions(R"({"limits": {"max_header_bytes": 64}})");
  ASSERT_TRUE(tight.ok());
  EXPECT_EQ(LoadCode(TinyFiles(), tight.value()), StatusCode::kLimit);
  EXPECT_EQ(LoadCode(TinyFiles()), StatusCode::kOk);
}

TEST(StatusCodes, CallerOptionsAreInvalidArguments) {
  // Whatever the JSON helper would call a bad model file, the caller's own options are invalid arguments.
  EXPECT_EQ(ParseLoadOptions("{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLoadOptions(R"({"limits": {"max_batch": "x"}})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLoadOptions(R"({"dtype": "q4"})").status().code(), StatusCode::kInvalidArgument);
  ExplainRequest r;
  EXPECT_EQ(ApplyExplainOptions(R"({"steps": "many"})", r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyExplainOptions("[", r).code(), StatusCode::kInvalidArgument);
  // The same helper on a model file says BAD_CHECKPOINT, naming the field by its path.
  auto bad = JsonInt(Json::parse(R"({"n": "x"})"), "n", 0, "config.json");
  EXPECT_EQ(bad.status().code(), StatusCode::kBadCheckpoint);
  EXPECT_EQ(bad.status().message(), "config.json.n: expected an integer");
}

TEST(StatusCodes, Forward) {
  BT_REQUIRE_SHARED();
  FileStore store = TinyFiles();
  auto model = Model::Load(store);
  ASSERT_TRUE(model.ok());
  auto code = [&](int32_t batch, int32_t seq, int32_t id, int32_t mask) {
    ForwardRequest r;
    r.batch = batch;
    r.seq = seq;
    r.ids.assign(static_cast<size_t>(batch) * seq, id);
    r.mask.assign(r.ids.size(), mask);
    auto out = model.value()->Forward(r);
    return out.ok() ? StatusCode::kOk : out.status().code();
  };
  EXPECT_EQ(code(1, 4, 5, 1), StatusCode::kOk);
  EXPECT_EQ(code(1, 4, 100000, 1), StatusCode::kInvalidArgument);  // id outside the vocabulary
  EXPECT_EQ(code(1, 4, 5, 2), StatusCode::kInvalidArgument);       // mask not 0/1
  EXPECT_EQ(code(1, 100000, 5, 1), StatusCode::kLimit);            // longer than the positions
  EXPECT_EQ(code(1000, 4, 5, 1), StatusCode::kLimit);              // max_batch
  EXPECT_EQ(code(1, 4, 5, 1), StatusCode::kOk);
}

TEST(StatusCodes, Tokenizer) {
  const std::string vocab = R"("vocab": {"[UNK]": 0, "a": 1})";
  auto tokenizer = Tokenizer::FromJson(R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", )" + vocab + "}}");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer.value()->Encode("a\xff", EncodeOptions{}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tokenizer::FromJson(R"({"model": {"type": "WordPiece"}})").status().code(), StatusCode::kBadCheckpoint);
  EXPECT_EQ(Tokenizer::FromJson("{not json").status().code(), StatusCode::kBadCheckpoint);
}

}  // namespace
}  // namespace bt
