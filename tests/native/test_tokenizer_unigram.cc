// SentencePiece unigram (ALBERT) against the sentencepiece library: every case of
// tokenizers/albert-unigram/reference.json from spiece.model, plus tokenizer.json Unigram parts.
#include "test_tokenizer_util.h"

namespace bt {
namespace {

using testing::JsonVector;

std::unique_ptr<Tokenizer> LoadSpiece() {
  auto tokenizer =
      Tokenizer::FromSentencePiece(testing::ReadFileOrFail(testing::SharedPath("tokenizers/albert-unigram/spiece.model")));
  if (!tokenizer.ok()) {
    ADD_FAILURE() << tokenizer.status().message();
    return nullptr;
  }
  return std::move(tokenizer).value();
}

TEST(TokenizerUnigram, SpieceModelMatchesReference) {
  BT_REQUIRE_SHARED();
  auto tokenizer = LoadSpiece();
  ASSERT_TRUE(tokenizer != nullptr);
  const nlohmann::json reference = testing::LoadSharedJson("tokenizers/albert-unigram/reference.json");
  const auto& cases = reference["cases"];
  ASSERT_EQ(cases.size(), 115u);
  EncodeOptions plain;
  plain.add_special_tokens = false;
  int passed = 0;
  for (const auto& c : cases) {
    const std::string text = c["text"].get<std::string>();
    auto encoding = tokenizer->Encode(text, plain);
    ASSERT_TRUE(encoding.ok()) << text << ": " << encoding.status().message();
    if (encoding->ids == JsonVector<int32_t>(c["ids"]) && encoding->tokens == JsonVector<std::string>(c["pieces"])) {
      ++passed;
      continue;
    }
    ADD_FAILURE() << "text: " << text << "\n  got:      " << testing::Join(encoding->tokens)
                  << "\n  expected: " << testing::Join(JsonVector<std::string>(c["pieces"]));
  }
  std::printf("albert-unigram (spiece.model): %d/%zu passed\n", passed, cases.size());
}

TEST(TokenizerUnigram, SpieceSpecialsOffsetsAndDecode) {
  BT_REQUIRE_SHARED();
  auto tokenizer = LoadSpiece();
  ASSERT_TRUE(tokenizer != nullptr);
  EXPECT_EQ(tokenizer->pad_id(), 0);
  EXPECT_EQ(tokenizer->mask_id(), 4);
  EXPECT_TRUE(tokenizer->IsSpecial(2));  // [CLS]
  EXPECT_TRUE(tokenizer->IsSpecial(1));  // <unk>
  EXPECT_FALSE(tokenizer->IsSpecial(6));

  auto encoding = tokenizer->Encode("Hello  world!", EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  EXPECT_EQ(encoding->tokens, (std::vector<std::string>{"[CLS]", "\u2581He", "ll", "o", "\u2581world", "!", "[SEP]"}));
  EXPECT_EQ(encoding->offsets,
            (std::vector<std::pair<int32_t, int32_t>>{{0, 0}, {0, 2}, {2, 4}, {4, 5}, {7, 12}, {12, 13}, {0, 0}}));
  EXPECT_EQ(encoding->word_ids, (std::vector<int32_t>{-1, 0, 0, 0, 1, 1, -1}));
  EXPECT_EQ(tokenizer->Decode(encoding->ids, true), "Hello world!");
  EXPECT_EQ(tokenizer->Decode(encoding->ids, false), "[CLS] Hello world![SEP]");

  auto pair = tokenizer->EncodePair("a", "b", EncodeOptions{});
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->type_ids.back(), 1);
  EXPECT_EQ(pair->type_ids.front(), 0);
}

TEST(TokenizerUnigram, BrokenModelIsAnError) {
  EXPECT_FALSE(Tokenizer::FromSentencePiece("").ok());  // no pieces, no unk
  auto truncated = Tokenizer::FromSentencePiece(std::string("\x0a\x10\x0a", 3));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos) << truncated.status().message();
}

// tokenizer.json with a Unigram model, Metaspace pre-tokenizer and the normalizers ALBERT's
// conversion uses (Replace, Lowercase).
TEST(TokenizerUnigram, TokenizerJsonUnigram) {
  auto tokenizer = Tokenizer::FromJson(R"({
    "normalizer": {"type": "Sequence", "normalizers": [
      {"type": "Replace", "pattern": {"String": "``"}, "content": "\""},
      {"type": "Lowercase"},
      {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true},
    "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"},
    "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["\u2581", -2], ["\u2581hello", -1],
              ["\u2581wor", -3], ["ld", -3], ["\u2581world", -7], ["\"", -2], ["\u2581\"", -2]]}})");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  const Tokenizer& t = *tokenizer.value();
  auto encoding = t.Encode("Hello   WORLD ``x", EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  // "▁wor"+"ld" (-6) beats "▁world" (-7); "x" is unknown.
  EXPECT_EQ(encoding->tokens, (std::vector<std::string>{"\u2581hello", "\u2581wor", "ld", "\u2581\"", "x"}));
  EXPECT_EQ(encoding->ids, (std::vector<int32_t>{2, 3, 4, 7, 0}));
  EXPECT_EQ(t.Decode({2, 3, 4}, false), "hello world");
}

}  // namespace
}  // namespace bt
