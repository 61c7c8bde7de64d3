// Unit behaviour of the tokenizer components added for the encoder families (normalizers,
// pre-tokenizers, regex engine, models, post-processors, decoders, padding side). Expected values
// follow Hugging Face tokenizers' definitions (its docs' examples and the alignment rules of its
// NormalizedString); tests/js/tokenizer-families.test.mjs checks the same components against the
// library itself on thousands of texts.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "io/json_util.h"
#include "tokenizers/normalizers.h"
#include "tokenizers/pre_tokenizers.h"
#include "tokenizers/regex.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

using Matches = std::vector<std::pair<size_t, size_t>>;

Matches FindAll(const std::string& pattern, const std::string& text) {
  auto regex = Regex::Compile(DecodeUtf8(pattern).value());
  EXPECT_TRUE(regex.ok()) << pattern << ": " << regex.status().message();
  Matches matches;
  if (!regex.ok()) return matches;
  const Status status = regex.value().FindAll(DecodeUtf8(text).value(), &matches);
  EXPECT_TRUE(status.ok()) << status.message();
  return matches;
}

std::string CompileError(const std::string& pattern) {
  auto regex = Regex::Compile(DecodeUtf8(pattern).value());
  return regex.ok() ? std::string() : regex.status().message();
}

TEST(TokenizerRegex, Gpt2PatternSplitsAsOniguruma) {
  const std::string gpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
  // "Hello" " world" "'s" "  " (the run minus the space that joins the next word) " 42" "!!" "  "
  EXPECT_EQ(FindAll(gpt2, "Hello world's   42!!  "),
            (Matches{{0, 5}, {5, 11}, {11, 13}, {13, 15}, {15, 18}, {18, 20}, {20, 22}}));
}

TEST(TokenizerRegex, LeftmostFirstAlternationLazinessAndCounts) {
  EXPECT_EQ(FindAll("a|ab", "ab"), (Matches{{0, 1}}));        // first alternative wins, not the longest
  EXPECT_EQ(FindAll("a+?", "aaa"), (Matches{{0, 1}, {1, 2}, {2, 3}}));
  EXPECT_EQ(FindAll("\\d{1,3}", "12345"), (Matches{{0, 3}, {3, 5}}));
  EXPECT_EQ(FindAll("(?i:'S|'t)", "it'S x'T"), (Matches{{2, 4}, {6, 8}}));
  EXPECT_EQ(FindAll("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+", "(abc déf"), (Matches{{0, 4}, {4, 8}}));
  EXPECT_EQ(FindAll("x{,2}y", "xxxy"), (Matches{{1, 4}}));
}

TEST(TokenizerRegex, EmptyMatchesAdvanceAsOnigurumaFindIter) {
  // An empty match right after a match is skipped; elsewhere it is reported once.
  EXPECT_EQ(FindAll("x*", "axb"), (Matches{{0, 0}, {1, 2}, {3, 3}}));
  EXPECT_EQ(FindAll("\\b", "ab cd"), (Matches{{0, 0}, {2, 2}, {3, 3}, {5, 5}}));
}

TEST(TokenizerRegex, AnchorsLookaroundAndWordChars) {
  EXPECT_EQ(FindAll("^.|.$", "ab\ncd"), (Matches{{0, 1}, {1, 2}, {3, 4}, {4, 5}}));
  EXPECT_EQ(FindAll("a(?=b)", "ab ac"), (Matches{{0, 1}}));
  EXPECT_EQ(FindAll("(?<!x)y", "xy y"), (Matches{{3, 4}}));
  // Oniguruma's \w: ² and ½ are word chars, the zero-width joiner is not.
  EXPECT_EQ(FindAll("\\w+", "x² a\u200db ½"), (Matches{{0, 2}, {3, 4}, {5, 6}, {7, 8}}));
}

TEST(TokenizerRegex, RefusesWhatItCannotMatchLinearly) {
  EXPECT_NE(CompileError("(a)\\1").find("backreferences"), std::string::npos);
  EXPECT_NE(CompileError("a++").find("possessive"), std::string::npos);
  EXPECT_NE(CompileError("(?>a)").find("atomic"), std::string::npos);
  EXPECT_NE(CompileError("(?<=a+)b").find("lookaround"), std::string::npos);
  EXPECT_NE(CompileError("[a&&b]").find("intersection"), std::string::npos);
  EXPECT_NE(CompileError("\\p{NoSuchProperty}").find("unknown property"), std::string::npos);
  EXPECT_NE(CompileError("(ab").find("missing ')'"), std::string::npos);
  EXPECT_NE(CompileError("a{100000}{100000}").find("too large"), std::string::npos);
  EXPECT_FALSE(CompileError("*").empty());
}

TEST(TokenizerRegex, HostileTextStaysLinearAndPathologicalPatternsStop) {
  const std::string gpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
  std::string hostile;
  for (int i = 0; i < 200000; ++i) hostile += (i % 7 == 0) ? "  " : "a'";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(FindAll(gpt2, hostile).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // A pattern that rescans the rest of the text at every position: refused with an error once
  // its work exceeds the budget, instead of running for minutes.
  auto regex = Regex::Compile(U".*y|.");
  ASSERT_TRUE(regex.ok());
  Matches matches;
  const Status status = regex.value().FindAll(std::u32string(200000, U'a'), &matches);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("too much work"), std::string::npos);
}

// Normalizes `text` with the normalizer in `config` and returns the result with its spans.
std::pair<std::string, std::vector<Span>> Normalize(const std::string& config, const std::string& text) {
  const Json json = Json::parse(config);
  auto normalizer = NormalizerFromJson(&json, "normalizer");
  EXPECT_TRUE(normalizer.ok()) << normalizer.status().message();
  NormalizedString s = NormalizedString::FromOriginal(DecodeUtf8(text).value(), 0);
  if (normalizer.ok()) EXPECT_TRUE(normalizer.value()->Normalize(&s).ok());
  return {EncodeUtf8(s.chars), s.spans};
}

TEST(TokenizerNormalizers, UnicodeFormsAlignAsTokenizers) {
  // NFD: the decomposition's chars all come from the composed char.
  EXPECT_EQ(Normalize(R"({"type": "NFD"})", "é"), (std::pair<std::string, std::vector<Span>>{"e\u0301", {{0, 1}, {0, 1}}}));
  // NFC: a composed char keeps the span of its first part only (tokenizers' alignment rule).
  EXPECT_EQ(Normalize(R"({"type": "NFC"})", "e\u0301x"), (std::pair<std::string, std::vector<Span>>{"éx", {{0, 1}, {2, 3}}}));
  // Canonical reordering: dot below (220) before acute (230).
  EXPECT_EQ(Normalize(R"({"type": "NFD"})", "a\u0301\u0323").first, "a\u0323\u0301");
  EXPECT_EQ(Normalize(R"({"type": "NFC"})", "a\u0301\u0323").first, "\u1ea1\u0301");
  EXPECT_EQ(Normalize(R"({"type": "NFKC"})", "ﬁ①Ａ").first, "fi1A");
  EXPECT_EQ(Normalize(R"({"type": "NFKD"})", "ǅ").first, "Dz\u030c");
  EXPECT_EQ(Normalize(R"({"type": "NFC"})", "\u1100\u1161\u11a8").first, "각");
}

TEST(TokenizerNormalizers, StripPrependReplaceAndStripAccents) {
  EXPECT_EQ(Normalize(R"({"type": "Strip", "strip_left": true, "strip_right": false})", "  a b  ").first, "a b  ");
  EXPECT_EQ(Normalize(R"({"type": "Strip", "strip_left": true, "strip_right": true})", "\u3000a\t").second,
            (std::vector<Span>{{1, 2}}));
  // Prepend: the new chars take the first char's span; nothing is prepended to empty text.
  EXPECT_EQ(Normalize(R"({"type": "Prepend", "prepend": "▁"})", "ab"),
            (std::pair<std::string, std::vector<Span>>{"▁ab", {{0, 1}, {0, 1}, {1, 2}}}));
  EXPECT_EQ(Normalize(R"({"type": "Prepend", "prepend": "▁"})", "").first, "");
  // Replace: the content takes the span of the match's last char.
  EXPECT_EQ(Normalize(R"({"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"})", "a   b"),
            (std::pair<std::string, std::vector<Span>>{"a▁b", {{0, 1}, {3, 4}, {4, 5}}}));
  EXPECT_EQ(Normalize(R"({"type": "Replace", "pattern": {"String": "''"}, "content": "\""})", "''x''").first, "\"x\"");
  EXPECT_EQ(Normalize(R"({"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]})", "Café").first, "Cafe");
  EXPECT_EQ(Normalize(R"({"type": "Nmt"})", "a\u200bb\u0001").first, "a b");
}

// Pre-tokenizes `text` and returns the words.
std::vector<std::string> Words(const std::string& config, const std::string& text) {
  const Json json = Json::parse(config);
  auto pre = PreTokenizerFromJson(&json, "pre_tokenizer");
  EXPECT_TRUE(pre.ok()) << pre.status().message();
  std::vector<std::string> out;
  if (!pre.ok()) return out;
  std::vector<NormalizedString> words;
  EXPECT_TRUE(pre.value()->Split(NormalizedString::FromOriginal(DecodeUtf8(text).value(), 0), &words).ok());
  for (const NormalizedString& w : words) out.push_back(EncodeUtf8(w.chars));
  return out;
}

TEST(TokenizerPreTokenizers, SplitBehaviorsAsDocumented) {
  auto split = [](const std::string& behavior, bool invert = false) {
    return Words(R"({"type": "Split", "pattern": {"String": "-"}, "behavior": ")" + behavior + R"(", "invert": )" +
                     (invert ? "true" : "false") + "}",
                 "the-final--countdown");
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(split("Removed"), (V{"the", "final", "countdown"}));
  EXPECT_EQ(split("Isolated"), (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split("MergedWithPrevious"), (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split("MergedWithNext"), (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split("Contiguous"), (V{"the", "-", "final", "--", "countdown"}));
  EXPECT_EQ(split("Removed", true), (V{"-", "-", "-"}));
}

TEST(TokenizerPreTokenizers, PunctuationWhitespaceDigitsScripts) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Words(R"({"type": "Punctuation", "behavior": "Contiguous"})", "Hey!! you?"), (V{"Hey", "!!", " you", "?"}));
  EXPECT_EQ(Words(R"({"type": "Whitespace"})", "Hi, you-2 ok"), (V{"Hi", ",", "you", "-", "2", "ok"}));
  EXPECT_EQ(Words(R"({"type": "Digits", "individual_digits": true})", "a123b"), (V{"a", "1", "2", "3", "b"}));
  EXPECT_EQ(Words(R"({"type": "Digits", "individual_digits": false})", "a123b"), (V{"a", "123", "b"}));
  // Scripts: Hiragana and Katakana count as Han; leading spaces (no script) are dropped.
  EXPECT_EQ(Words(R"({"type": "UnicodeScripts"})", "  abc日本のカナ def"), (V{"abc", "日本のカナ ", "def"}));
}

TEST(TokenizerPreTokenizers, MetaspacePrependSchemes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Words(R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true})", "a b"),
            (V{"▁a", "▁b"}));
  EXPECT_EQ(Words(R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": false})", "a b"),
            (V{"a▁b"}));
  // "first": only the piece that starts the text gets the mark.
  const Json json = Json::parse(R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true})");
  auto pre = PreTokenizerFromJson(&json, "pre_tokenizer");
  ASSERT_TRUE(pre.ok());
  std::vector<NormalizedString> words;
  ASSERT_TRUE(pre.value()->Split(NormalizedString::FromOriginal(U"b c", 4), &words).ok());
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(EncodeUtf8(words[0].chars), "b");
}

std::unique_ptr<Tokenizer> Load(const std::string& json) {
  auto tokenizer = Tokenizer::FromJson(json);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

TEST(TokenizerModels, WordLevelAndUnigramByteFallback) {
  auto word_level = Load(R"({"pre_tokenizer": {"type": "WhitespaceSplit"},
      "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1}, "unk_token": "[UNK]"}})");
  ASSERT_NE(word_level, nullptr);
  auto e = word_level->Encode("hello there", EncodeOptions{});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().ids, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(e.value().tokens, (std::vector<std::string>{"hello", "[UNK]"}));
  auto no_unk = Load(R"({"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "[UNK]"}})");
  ASSERT_NE(no_unk, nullptr);
  EXPECT_FALSE(no_unk->Encode("b", EncodeOptions{}).ok());

  // Unknown "é" spelled as its UTF-8 bytes, each byte token covering the char.
  auto unigram = Load(R"({"model": {"type": "Unigram", "unk_id": 0, "byte_fallback": true,
      "vocab": [["<unk>", 0], ["a", -1], ["<0xC3>", -5], ["<0xA9>", -5]]},
      "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}})");
  ASSERT_NE(unigram, nullptr);
  auto u = unigram->Encode("aé", EncodeOptions{});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value().ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(u.value().offsets, (std::vector<std::pair<int32_t, int32_t>>{{0, 1}, {1, 2}, {1, 2}}));
  EXPECT_EQ(unigram->Decode(u.value().ids, false), "aé");
  EXPECT_EQ(unigram->Decode({2, 1}, false), "\xEF\xBF\xBD" "a");  // a lone lead byte is U+FFFD
}

TEST(TokenizerModels, BpeAffixesAndByteFallback) {
  auto bpe = Load(R"({"model": {"type": "BPE", "unk_token": "<unk>", "continuing_subword_prefix": "##",
      "end_of_word_suffix": "</w>", "vocab": {"<unk>": 0, "t": 1, "##h": 2, "##e</w>": 3, "th": 4, "the</w>": 5},
      "merges": [["t", "##h"], ["th", "##e</w>"]]}, "decoder": {"type": "BPEDecoder", "suffix": "</w>"}})");
  ASSERT_NE(bpe, nullptr);
  auto e = bpe->Encode("the", EncodeOptions{});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().ids, (std::vector<int32_t>{5}));
  auto fallback = Load(R"({"model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
      "vocab": {"<unk>": 0, "a": 1, "<0xE2>": 2, "<0x82>": 3, "<0xAC>": 4}, "merges": []}})");
  ASSERT_NE(fallback, nullptr);
  auto f = fallback->Encode("a€ßß", EncodeOptions{});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.value().ids, (std::vector<int32_t>{1, 2, 3, 4, 0}));  // ß has no byte pieces: one fused <unk>
  EXPECT_EQ(f.value().offsets.back(), (std::pair<int32_t, int32_t>{2, 4}));
}

TEST(TokenizerDecoders, MetaspaceStripCtcReplace) {
  auto metaspace = Load(R"({"model": {"type": "WordLevel", "vocab": {"▁▁a": 0, "▁b": 1, "<unk>": 2}},
      "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}})");
  ASSERT_NE(metaspace, nullptr);
  EXPECT_EQ(metaspace->Decode({0, 1}, false), "a b");  // every mark of the first token is dropped
  auto strip = Load(R"({"model": {"type": "WordLevel", "vocab": {"xxa": 0, "bx": 1, "<unk>": 2}},
      "decoder": {"type": "Sequence", "decoders": [{"type": "Strip", "content": "x", "start": 1, "stop": 1},
      {"type": "Replace", "pattern": {"Regex": "[ab]"}, "content": "_"}]}})");
  ASSERT_NE(strip, nullptr);
  EXPECT_EQ(strip->Decode({0, 1}, false), "x__");
  auto ctc = Load(R"({"model": {"type": "WordLevel", "vocab": {"<pad>": 0, "h": 1, "i": 2, "|": 3, "<unk>": 4}},
      "decoder": {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true}})");
  ASSERT_NE(ctc, nullptr);
  EXPECT_EQ(ctc->Decode({1, 1, 0, 2, 3, 1, 2}, false), "hi hi");
}

TEST(TokenizerPostProcessors, XlnetTemplateAndPaddingSide) {
  const std::string json = R"({"added_tokens": [
      {"id": 3, "content": "<cls>", "special": true}, {"id": 4, "content": "<sep>", "special": true}],
      "pre_tokenizer": {"type": "WhitespaceSplit"},
      "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "a": 1, "b": 2, "<cls>": 3, "<sep>": 4}},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<sep>", "type_id": 0}},
                   {"SpecialToken": {"id": "<cls>", "type_id": 2}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<sep>", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<sep>", "type_id": 1}},
                 {"SpecialToken": {"id": "<cls>", "type_id": 2}}],
        "special_tokens": {"<sep>": {"id": "<sep>", "ids": [4], "tokens": ["<sep>"]},
                           "<cls>": {"id": "<cls>", "ids": [3], "tokens": ["<cls>"]}}}})";
  auto tokenizer = Load(json);
  ASSERT_NE(tokenizer, nullptr);
  auto pair = tokenizer->EncodePair("a", "b a", EncodeOptions{});
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair.value().ids, (std::vector<int32_t>{1, 4, 2, 1, 4, 3}));
  EXPECT_EQ(pair.value().type_ids, (std::vector<int32_t>{0, 0, 1, 1, 1, 2}));

  // Padding side: right by default; XLNet's class default is left with type id 3; tokenizer_config.json wins.
  EXPECT_EQ(tokenizer->padding_side(), PaddingSide::kRight);
  EXPECT_TRUE(tokenizer->ApplyTokenizerConfig("", "xlnet").ok());
  EXPECT_EQ(tokenizer->padding_side(), PaddingSide::kLeft);
  EXPECT_EQ(tokenizer->pad_type_id(), 3);
  EXPECT_TRUE(tokenizer->ApplyTokenizerConfig(R"({"padding_side": "right"})", "xlnet").ok());
  EXPECT_EQ(tokenizer->padding_side(), PaddingSide::kRight);
  const Status bad = tokenizer->ApplyTokenizerConfig(R"({"padding_side": "middle"})", "bert");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("padding_side"), std::string::npos);
  // tokenizer.json's own padding direction when nothing else says.
  auto padded = Load(R"({"padding": {"direction": "Left", "pad_id": 0, "pad_type_id": 3, "pad_token": "<unk>"},
      "model": {"type": "WordLevel", "vocab": {"<unk>": 0}}})");
  ASSERT_NE(padded, nullptr);
  EXPECT_EQ(padded->padding_side(), PaddingSide::kLeft);
  EXPECT_EQ(padded->pad_type_id(), 3);
}

TEST(TokenizerComponents, ConfigErrorsNameTheField) {
  auto error = [](const std::string& json) {
    auto tokenizer = Tokenizer::FromJson(json);
    return tokenizer.ok() ? std::string() : tokenizer.status().message();
  };
  const std::string model = R"("model": {"type": "WordLevel", "vocab": {"<unk>": 0}})";
  EXPECT_NE(error(R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}, )" + model + "}")
                .find("pre_tokenizer.pattern.Regex"),
            std::string::npos);
  EXPECT_NE(error(R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"}, )" + model + "}")
                .find("pre_tokenizer.behavior"),
            std::string::npos);
  EXPECT_NE(error(R"({"normalizer": {"type": "Replace", "pattern": {"Typo": "a"}, "content": ""}, )" + model + "}")
                .find("normalizer.pattern"),
            std::string::npos);
  EXPECT_NE(error(R"({"decoder": {"type": "Strip", "content": "ab", "start": 1, "stop": 0}, )" + model + "}")
                .find("decoder.content"),
            std::string::npos);
}

}  // namespace
}  // namespace bt::tokenizers
