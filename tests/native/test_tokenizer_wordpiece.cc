// WordPiece (BERT) tokenization against Hugging Face `tokenizers`: every case of
// reference/tokenizer-bert-base-uncased.json (BertProcessing tokenizer.json) and the BERT-mini
// models' own TemplateProcessing tokenizer.json on their reference inputs.
#include <map>

#include "reference_tensors.h"
#include "test_tokenizer_util.h"

namespace bt {
namespace {

using testing::JsonOffsets;
using testing::JsonVector;

constexpr char kBertBase[] = "tokenizers/bert-base-uncased/tokenizer.json";
constexpr char kReference[] = "reference/tokenizer-bert-base-uncased.json";

class BertBaseUncased : public ::testing::Test {
 protected:
  void SetUp() override {
    BT_REQUIRE_SHARED();
    tokenizer_ = testing::LoadTokenizerJson(kBertBase);
    reference_ = testing::LoadSharedJson(kReference);
    ASSERT_TRUE(tokenizer_ != nullptr);
  }
  std::unique_ptr<Tokenizer> tokenizer_;
  nlohmann::json reference_;
};

TEST_F(BertBaseUncased, AllReferenceCases) {
  const auto& cases = reference_["cases"];
  ASSERT_EQ(cases.size(), 365u);
  int passed = 0;
  for (const auto& c : cases) {
    const std::string text = c["text"].get<std::string>();
    auto encoding = tokenizer_->Encode(text, EncodeOptions{});
    ASSERT_TRUE(encoding.ok()) << text << ": " << encoding.status().message();
    const bool same = encoding->ids == JsonVector<int32_t>(c["ids"]) &&
                      encoding->tokens == JsonVector<std::string>(c["tokens"]) &&
                      encoding->offsets == JsonOffsets(c["offsets"]) &&
                      encoding->type_ids == JsonVector<int32_t>(c["type_ids"]);
    if (same) {
      ++passed;
      continue;
    }
    ADD_FAILURE() << "text: " << text << "\n  got:      " << testing::Join(encoding->tokens)
                  << "\n  expected: " << testing::Join(JsonVector<std::string>(c["tokens"]));
  }
  std::printf("bert-base-uncased cases: %d/%zu passed\n", passed, cases.size());
}

TEST_F(BertBaseUncased, SentencePairs) {
  const auto& pairs = reference_["pairs"];
  ASSERT_EQ(pairs.size(), 8u);
  for (const auto& p : pairs) {
    auto encoding = tokenizer_->EncodePair(p["a"].get<std::string>(), p["b"].get<std::string>(), EncodeOptions{});
    ASSERT_TRUE(encoding.ok()) << encoding.status().message();
    EXPECT_EQ(encoding->ids, JsonVector<int32_t>(p["ids"])) << p["a"];
    EXPECT_EQ(encoding->type_ids, JsonVector<int32_t>(p["type_ids"])) << p["a"];
    EXPECT_EQ(encoding->offsets, JsonOffsets(p["offsets"])) << p["a"];
    EXPECT_FALSE(encoding->truncated);
  }
}

TEST_F(BertBaseUncased, QuestionContextWindows) {
  const auto& windows = reference_["windows"];
  ASSERT_FALSE(windows.empty());
  for (const auto& w : windows) {
    WindowOptions options;
    options.max_length = w["max_length"].get<int32_t>();
    options.stride = w["stride"].get<int32_t>();
    auto result = tokenizer_->EncodeWindows(w["question"].get<std::string>(), w["context"].get<std::string>(), options);
    ASSERT_TRUE(result.ok()) << result.status().message();
    ASSERT_EQ(result->size(), w["input_ids"].size()) << w["question"];
    for (size_t i = 0; i < result->size(); ++i) {
      const Encoding& window = result.value()[i];
      EXPECT_EQ(window.ids, JsonVector<int32_t>(w["input_ids"][i])) << w["question"] << " window " << i;
      EXPECT_EQ(window.type_ids, JsonVector<int32_t>(w["token_type_ids"][i])) << "window " << i;
      EXPECT_EQ(window.offsets, JsonOffsets(w["offset_mapping"][i])) << "window " << i;
      EXPECT_EQ(window.truncated, result->size() > 1);
    }
  }
}

TEST_F(BertBaseUncased, TruncationKeepsFinalSep) {
  const auto& t = reference_["truncation"];
  EncodeOptions options;
  options.truncation = true;
  options.max_length = t["max_length"].get<int32_t>();
  auto encoding = tokenizer_->Encode(t["text"].get<std::string>(), options);
  ASSERT_TRUE(encoding.ok()) << encoding.status().message();
  EXPECT_EQ(encoding->ids, JsonVector<int32_t>(t["input_ids"]));
  EXPECT_TRUE(encoding->truncated);

  auto short_text = tokenizer_->Encode("short text", options);
  ASSERT_TRUE(short_text.ok());
  EXPECT_FALSE(short_text->truncated);
}

TEST_F(BertBaseUncased, PairTruncationStrategies) {
  const std::string a = "one two three four five six seven eight", b = "alpha beta gamma";
  EncodeOptions options;
  options.truncation = true;
  options.max_length = 10;  // 7 sequence tokens after [CLS] [SEP] [SEP]
  auto longest = tokenizer_->EncodePair(a, b, options);
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(longest->ids.size(), 10u);
  EXPECT_EQ(longest->tokens[4], "four");  // a keeps 4 tokens, b keeps 3
  EXPECT_EQ(longest->tokens[6], "alpha");
  options.truncation_strategy = TruncationSide::kOnlySecond;
  EXPECT_FALSE(tokenizer_->EncodePair(a, b, options).ok());  // b cannot shrink enough
  options.truncation_strategy = TruncationSide::kOnlyFirst;
  auto only_first = tokenizer_->EncodePair(a, b, options);
  ASSERT_TRUE(only_first.ok());
  EXPECT_EQ(only_first->tokens[4], "four");
  EXPECT_EQ(only_first->tokens.back(), "[SEP]");
}

TEST_F(BertBaseUncased, SpecialTokensInText) {
  auto encoding = tokenizer_->Encode("The capital of France is [MASK].", EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  EXPECT_EQ(encoding->ids, (std::vector<int32_t>{101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102}));
  EXPECT_EQ(encoding->offsets[6], (std::pair<int32_t, int32_t>(25, 31)));
  EXPECT_EQ(encoding->sequence_ids, (std::vector<int32_t>{-1, 0, 0, 0, 0, 0, 0, 0, -1}));
  EXPECT_EQ(encoding->word_ids, (std::vector<int32_t>{-1, 0, 1, 2, 3, 4, 5, 6, -1}));
}

TEST_F(BertBaseUncased, EmptyTextAndNoSpecialTokens) {
  auto empty = tokenizer_->Encode("", EncodeOptions{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->ids, (std::vector<int32_t>{101, 102}));
  EncodeOptions plain;
  plain.add_special_tokens = false;
  auto bare = tokenizer_->EncodePair("hello", "world", plain);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->ids, (std::vector<int32_t>{7592, 2088}));
  EXPECT_EQ(bare->type_ids, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(bare->attention_mask, (std::vector<int32_t>{1, 1}));
}

TEST_F(BertBaseUncased, InvalidUtf8IsAnError) {
  for (const auto& [text, byte] : std::vector<std::pair<std::string, int>>{
           {"abc\xff", 3}, {"ok \xe2\x82", 3}, {"\xed\xa0\x80", 0}, {"\xc0\xaf", 0}, {"x\x80y", 1}}) {
    auto encoding = tokenizer_->Encode(text, EncodeOptions{});
    ASSERT_FALSE(encoding.ok());
    EXPECT_EQ(encoding.status().message(), "text is not valid UTF-8 at byte " + std::to_string(byte));
  }
  EXPECT_FALSE(tokenizer_->EncodePair("fine", "bad\xff", EncodeOptions{}).ok());
}

TEST_F(BertBaseUncased, Decode) {
  auto encoding = tokenizer_->Encode("Hello, world! Unaffable isn't it?", EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  // tokenizers' WordPiece decoder cleans up per token, so " ' " (which spans tokens) stays.
  EXPECT_EQ(tokenizer_->Decode(encoding->ids, true), "hello, world! unaffable isn ' t it?");
  EXPECT_EQ(tokenizer_->Decode(encoding->ids, false), "[CLS] hello, world! unaffable isn ' t it? [SEP]");
  EXPECT_EQ(tokenizer_->Decode({7592, 1005, 1056, -5, 999999}, true), "hello ' t");
}

TEST_F(BertBaseUncased, VocabularyAccessors) {
  EXPECT_EQ(tokenizer_->vocab_size(), 30522);
  EXPECT_EQ(tokenizer_->pad_id(), 0);
  EXPECT_EQ(tokenizer_->mask_id(), 103);
  EXPECT_EQ(tokenizer_->mask_token(), "[MASK]");
  EXPECT_TRUE(tokenizer_->IsSpecial(101));
  EXPECT_FALSE(tokenizer_->IsSpecial(7592));
  EXPECT_EQ(tokenizer_->TokenToId("hello"), 7592);
  EXPECT_EQ(tokenizer_->TokenToId("[SEP]"), 102);
  EXPECT_EQ(tokenizer_->TokenToId("no-such-token"), -1);
  EXPECT_EQ(tokenizer_->IdToToken(7592), "hello");
  EXPECT_EQ(tokenizer_->IdToToken(30522), "");
  EXPECT_EQ(tokenizer_->IdToToken(-1), "");
  EXPECT_EQ(tokenizer_->model_max_length(), 0);
  tokenizer_->set_model_max_length(512);
  EXPECT_EQ(tokenizer_->model_max_length(), 512);
}

// The BERT-mini models' tokenizer.json (TemplateProcessing) gives the ids of their references.
TEST(TokenizerWordPiece, ModelTokenizersMatchReferenceInputs) {
  BT_REQUIRE_SHARED();
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"bert-mini-sst2", "bert-mini-sst2"},   {"bert-mini-sst2", "bert-mini-sst2.pairs"},
      {"bert-mini-mlm", "bert-mini-mlm"},     {"bert-mini-conll03", "bert-mini-conll03"},
      {"bert-mini-squad", "bert-mini-squad"},
  };
  for (const auto& [model, reference] : sets) {
    auto tokenizer = testing::LoadTokenizerJson("models/" + model + "/tokenizer.json");
    ASSERT_TRUE(tokenizer != nullptr);
    const nlohmann::json ref = testing::LoadSharedJson("reference/" + reference + ".json");
    auto tensors = testing::ReadReference(testing::SharedPath("reference/" + reference + ".safetensors"));
    const auto& ids = tensors["input_ids"];
    const auto& types = tensors["token_type_ids"];
    ASSERT_EQ(ids.shape.size(), 2u) << reference;
    const size_t rows = ids.shape[0], seq = ids.shape[1];
    ASSERT_EQ(rows, ref["texts"].size()) << reference;
    for (size_t row = 0; row < rows; ++row) {
      const std::string text = ref["texts"][row].get<std::string>();
      auto encoding = ref["pairs"].is_array()
                          ? tokenizer->EncodePair(text, ref["pairs"][row].get<std::string>(), EncodeOptions{})
                          : tokenizer->Encode(text, EncodeOptions{});
      ASSERT_TRUE(encoding.ok()) << encoding.status().message();
      std::vector<std::string> expected_tokens = JsonVector<std::string>(ref["tokens"][row]);
      while (!expected_tokens.empty() && expected_tokens.back() == "[PAD]") expected_tokens.pop_back();
      EXPECT_EQ(encoding->tokens, expected_tokens) << reference << " row " << row;
      std::vector<int32_t> padded_ids = encoding->ids, padded_types = encoding->type_ids;
      padded_ids.resize(seq, tokenizer->pad_id());
      padded_types.resize(seq, 0);
      EXPECT_EQ(padded_ids, std::vector<int32_t>(ids.i32.begin() + row * seq, ids.i32.begin() + (row + 1) * seq))
          << reference << " row " << row;
      EXPECT_EQ(padded_types,
                std::vector<int32_t>(types.i32.begin() + row * seq, types.i32.begin() + (row + 1) * seq))
          << reference << " row " << row;
    }
  }
}

TEST(TokenizerWordPiece, BadJsonNamesTheField) {
  auto expect_error = [](const std::string& json, const std::string& field) {
    auto tokenizer = Tokenizer::FromJson(json);
    ASSERT_FALSE(tokenizer.ok()) << json;
    EXPECT_NE(tokenizer.status().message().find(field), std::string::npos) << tokenizer.status().message();
  };
  expect_error("{not json", "not valid JSON");
  expect_error("{}", "model");
  expect_error(R"({"model": {"type": "WordPiece"}})", "model.vocab");
  expect_error(R"({"model": {"type": "WordPiece", "vocab": {"a": "x"}}})", "model.vocab.a");
  expect_error(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", "model.unk_token");
  expect_error(R"({"model": {"type": "Mystery"}})", "model.type");
  const std::string model = R"("model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}})";
  expect_error("{" + model + R"(, "normalizer": {"type": "BertNormalizer", "lowercase": 1}})",
               "normalizer.lowercase");
  expect_error("{" + model + R"(, "added_tokens": [{"id": 5}]})", "added_tokens[0].content");
  expect_error("{" + model + R"(, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]"}}], "pair": []}})",
               "post_processor.special_tokens");
}

TEST(TokenizerWordPiece, MinimalTokenizerJson) {
  auto tokenizer = Tokenizer::FromJson(
      R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3},
          "max_input_chars_per_word": 8},
          "pre_tokenizer": {"type": "WhitespaceSplit"}})");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  const Tokenizer& t = *tokenizer.value();
  auto encoding = t.Encode("unaffable unable unaffableunaffable", EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  EXPECT_EQ(encoding->ids, (std::vector<int32_t>{0, 1, 3, 0}));  // too long, un ##able, too long
  encoding = t.Encode("unaff", EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  EXPECT_EQ(encoding->ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(encoding->offsets, (std::vector<std::pair<int32_t, int32_t>>{{0, 2}, {2, 5}}));
  EXPECT_EQ(t.mask_id(), -1);
  EXPECT_EQ(t.Decode({1, 2}, false), "un ##aff");  // no decoder: joined by spaces
}

}  // namespace
}  // namespace bt
