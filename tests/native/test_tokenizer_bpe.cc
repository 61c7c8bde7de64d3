// Byte-level BPE (RoBERTa) against Hugging Face `tokenizers`: every case of
// tokenizers/roberta-bpe/reference.json, from tokenizer.json and from vocab.json + merges.txt.
#include "test_tokenizer_util.h"

namespace bt {
namespace {

using testing::JsonOffsets;
using testing::JsonVector;

// Runs every reference case; returns the number that matched ids, tokens and offsets.
int CheckAllCases(const Tokenizer& tokenizer, const char* label) {
  const nlohmann::json reference = testing::LoadSharedJson("tokenizers/roberta-bpe/reference.json");
  const auto& cases = reference["cases"];
  EXPECT_EQ(cases.size(), 115u);
  int passed = 0;
  for (const auto& c : cases) {
    const std::string text = c["text"].get<std::string>();
    auto encoding = tokenizer.Encode(text, EncodeOptions{});
    if (!encoding.ok()) {
      ADD_FAILURE() << text << ": " << encoding.status().message();
      continue;
    }
    if (encoding->ids == JsonVector<int32_t>(c["ids"]) && encoding->tokens == JsonVector<std::string>(c["tokens"]) &&
        encoding->offsets == JsonOffsets(c["offsets"])) {
      ++passed;
      continue;
    }
    std::string got, expected;
    for (size_t i = 0; i < encoding->tokens.size(); ++i) {
      got += encoding->tokens[i] + "(" + std::to_string(encoding->offsets[i].first) + "," +
             std::to_string(encoding->offsets[i].second) + ") ";
    }
    for (size_t i = 0; i < c["tokens"].size(); ++i) {
      expected += c["tokens"][i].get<std::string>() + "(" + std::to_string(c["offsets"][i][0].get<int>()) + "," +
                  std::to_string(c["offsets"][i][1].get<int>()) + ") ";
    }
    ADD_FAILURE() << label << " text: " << text << "\n  got:      " << got << "\n  expected: " << expected;
  }
  std::printf("roberta-bpe (%s): %d/%zu passed\n", label, passed, cases.size());
  return passed;
}

TEST(TokenizerBpe, TokenizerJsonMatchesReference) {
  BT_REQUIRE_SHARED();
  auto tokenizer = testing::LoadTokenizerJson("tokenizers/roberta-bpe/tokenizer.json");
  ASSERT_TRUE(tokenizer != nullptr);
  CheckAllCases(*tokenizer, "tokenizer.json");
}

TEST(TokenizerBpe, VocabAndMergesMatchReference) {
  BT_REQUIRE_SHARED();
  auto tokenizer = Tokenizer::FromBpeFiles(
      testing::ReadFileOrFail(testing::SharedPath("tokenizers/roberta-bpe/vocab.json")),
      testing::ReadFileOrFail(testing::SharedPath("tokenizers/roberta-bpe/merges.txt")));
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  CheckAllCases(*tokenizer.value(), "vocab.json+merges.txt");
}

TEST(TokenizerBpe, SpecialsPairsAndDecode) {
  BT_REQUIRE_SHARED();
  auto tokenizer = testing::LoadTokenizerJson("tokenizers/roberta-bpe/tokenizer.json");
  ASSERT_TRUE(tokenizer != nullptr);
  EXPECT_EQ(tokenizer->pad_id(), 1);
  EXPECT_EQ(tokenizer->mask_token(), "<mask>");
  EXPECT_TRUE(tokenizer->IsSpecial(0));

  const std::string text = "Hello world! Café <mask> naïve 😀";
  auto encoding = tokenizer->Encode(text, EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  EXPECT_EQ(tokenizer->Decode(encoding->ids, true), "Hello world! Café  naïve 😀");
  EXPECT_EQ(tokenizer->Decode(encoding->ids, false), "<s>Hello world! Café <mask> naïve 😀</s>");
  // A lone continuation byte decodes to U+FFFD instead of producing invalid UTF-8.
  const int32_t lead_byte = tokenizer->TokenToId("\xc3\xb0");  // "ð", byte 0xF0
  ASSERT_GE(lead_byte, 0);
  EXPECT_EQ(tokenizer->Decode({lead_byte}, true), "\xef\xbf\xbd");

  EncodeOptions plain;
  plain.add_special_tokens = false;
  auto a = tokenizer->Encode("first one", plain), b = tokenizer->Encode("second", plain);
  auto pair = tokenizer->EncodePair("first one", "second", EncodeOptions{});
  ASSERT_TRUE(a.ok() && b.ok() && pair.ok());
  std::vector<int32_t> expected{0};  // <s> A </s> </s> B </s>
  expected.insert(expected.end(), a->ids.begin(), a->ids.end());
  expected.insert(expected.end(), {2, 2});
  expected.insert(expected.end(), b->ids.begin(), b->ids.end());
  expected.push_back(2);
  EXPECT_EQ(pair->ids, expected);
  EXPECT_EQ(pair->type_ids, std::vector<int32_t>(expected.size(), 0));
  EXPECT_EQ(pair->sequence_ids[a->ids.size() + 3], 1);
  EXPECT_EQ(pair->sequence_ids[a->ids.size() + 1], -1);
}

TEST(TokenizerBpe, BadMergesNameTheField) {
  auto bad = Tokenizer::FromBpeFiles(R"({"<s>": 0, "</s>": 1, "a": 2, "b": 3})", "#version: 0.2\na c\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("merges"), std::string::npos) << bad.status().message();
  auto bad_json = Tokenizer::FromJson(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [3]}})");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.status().message().find("model.merges[0]"), std::string::npos) << bad_json.status().message();
}

}  // namespace
}  // namespace bt
