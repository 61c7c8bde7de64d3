// tokenizer.json's shortcuts (src/tokenizers/vocab_json.h: the vocabulary read by its own scanner,
// the rest by nlohmann's SAX parser) against the whole file read as one nlohmann JSON tree
// (FromJsonTree): the same tokenizer — every id's token, every token's id, the same encodings — or
// the same error (code and message) for every file, regular or not. The oracle is nlohmann's
// parser; the shared tokenizers themselves are checked against Hugging Face's library elsewhere.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "test_support.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/vocab_json.h"

namespace bt::tokenizers {
namespace {

const char* const kTexts[] = {
    "Hello, world! The tokenizer's test.", "naïve café — déjà vu", "中文字符 and ＡＢＣ", "\"quoted\" \\ back/slash",
    "[CLS] [MASK] unaffable unk~ ##a", "a\tb\nc", "",
};

// FromJson and FromJsonTree agree on `json`; returns whether FromJson succeeded.
bool ExpectSameAsTree(const std::string& json, const std::string& what) {
  auto fast = Tokenizer::FromJson(json);
  auto tree = FromJsonTree(json);
  EXPECT_EQ(fast.ok(), tree.ok()) << what << ": " << (fast.ok() ? tree.status().message() : fast.status().message());
  if (!fast.ok() || !tree.ok()) {
    if (!fast.ok() && !tree.ok()) {
      EXPECT_EQ(fast.status().code(), tree.status().code()) << what;
      EXPECT_EQ(fast.status().message(), tree.status().message()) << what;
    }
    return false;
  }
  const Tokenizer& a = *fast.value();
  const Tokenizer& b = *tree.value();
  EXPECT_EQ(a.vocab_size(), b.vocab_size()) << what;
  EXPECT_EQ(a.pad_id(), b.pad_id()) << what;
  EXPECT_EQ(a.mask_id(), b.mask_id()) << what;
  int mismatches = 0;
  for (int32_t id = -1; id <= b.vocab_size() && mismatches < 5; ++id) {
    const std::string token = b.IdToToken(id);
    if (a.IdToToken(id) != token || a.TokenToId(token) != b.TokenToId(token) || a.IsSpecial(id) != b.IsSpecial(id)) {
      ADD_FAILURE() << what << ": id " << id << " token '" << token << "' vs '" << a.IdToToken(id) << "'";
      ++mismatches;
    }
  }
  for (const char* text : kTexts) {
    auto x = a.Encode(text, EncodeOptions{});
    auto y = b.Encode(text, EncodeOptions{});
    EXPECT_EQ(x.ok(), y.ok()) << what << ": " << text;
    if (x.ok() && y.ok()) {
      EXPECT_EQ(x->ids, y->ids) << what << ": " << text;
      EXPECT_EQ(x->tokens, y->tokens) << what << ": " << text;
      EXPECT_EQ(x->offsets, y->offsets) << what << ": " << text;
    }
  }
  return true;
}

// A small WordPiece tokenizer.json whose vocabulary object is `vocab` (its text, braces included).
std::string WithVocab(const std::string& vocab, const std::string& model_extra = "") {
  return R"({"added_tokens": [{"id": 1, "content": "[UNK]", "special": true}],
    "normalizer": {"type": "BertNormalizer", "lowercase": true}, "pre_tokenizer": {"type": "BertPreTokenizer"},
    "model": {"type": "WordPiece", "unk_token": "[UNK]")" +
         model_extra + R"(, "vocab": )" + vocab + "}}";
}

const char kSmallVocab[] =
    R"({"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "hello": 5, ",": 6, "world": 7, "!": 8, "the": 9,
        "token": 10, "##izer": 11, "'": 12, "s": 13, "test": 14, ".": 15, "na": 16, "##ive": 17, "caf": 18, "##e": 19,
        "中": 20, "文": 21, "\"": 22, "\\": 23, "/": 24, "a": 25, "b": 26, "c": 27, "##a": 28, "un": 29, "##aff": 30,
        "##able": 31, "é": 32, "\u00e8": 33, "\ud83d\ude00": 34, "tab\there": 35, "x\/y": 36})";

TEST(TokenizerJsonReader, SharedTokenizersAsTheTree) {
  BT_REQUIRE_SHARED();
  for (const char* file : {"tokenizers/bert-base-uncased/tokenizer.json", "tokenizers/roberta-bpe/tokenizer.json",
                           "models/bert-mini-sst2/tokenizer.json", "models/bert-mini-mlm/tokenizer.json",
                           "models/bert-mini-conll03/tokenizer.json", "models/bert-mini-squad/tokenizer.json"}) {
    const std::string json = testing::ReadFileOrFail(testing::SharedPath(file));
    // The shortcut is taken for these files (the vocabulary is found and read).
    VocabBuilder builder;
    const size_t open = FindVocabObject(json);
    ASSERT_NE(open, std::string::npos) << file;
    EXPECT_NE(ReadVocabObject(json, open, &builder), std::string::npos) << file;
    EXPECT_GT(builder.added(), 1000u) << file;
    EXPECT_TRUE(ExpectSameAsTree(json, file)) << file;
  }
}

TEST(TokenizerJsonReader, EscapesAndUtf8AsNlohmann) {
  EXPECT_TRUE(ExpectSameAsTree(WithVocab(kSmallVocab), "small"));
  VocabBuilder builder;
  const std::string json = WithVocab(kSmallVocab);
  ASSERT_NE(ReadVocabObject(json, FindVocabObject(json), &builder), std::string::npos);
  Vocab vocab;
  ASSERT_TRUE(builder.Finish(&vocab));
  EXPECT_EQ(vocab.Find("\""), 22);
  EXPECT_EQ(vocab.Find("\\"), 23);
  EXPECT_EQ(vocab.Find("\xC3\xA8"), 33);          // \u00e8
  EXPECT_EQ(vocab.Find("\xF0\x9F\x98\x80"), 34);  // a surrogate pair
  EXPECT_EQ(vocab.Find("tab\there"), 35);
  EXPECT_EQ(vocab.Find("x/y"), 36);
  EXPECT_EQ(vocab.Token(34), "\xF0\x9F\x98\x80");
  EXPECT_EQ(vocab.size(), 37);
}

TEST(TokenizerJsonReader, IrregularFilesAsTheTree) {
  const std::vector<std::string> vocabs = {
      R"({})", R"({"[UNK]": 1})", R"({"[UNK]": 1, "a": 0,})", R"({"[UNK]": 1 "a": 0})", R"({"[UNK]" 1})",
      R"({"[UNK]": 1, "a": 01})", R"({"[UNK]": 1, "a": -1})", R"({"[UNK]": 1, "a": -0})", R"({"[UNK]": 1, "a": 1.0})",
      R"({"[UNK]": 1, "a": 2.0})", R"({"[UNK]": 1, "a": 2e0})", R"({"[UNK]": 1, "a": 2E+0})", R"({"[UNK]": 1, "a": 16777216})",
      R"({"[UNK]": 1, "a": 16777217})", R"({"[UNK]": 1, "a": 99999999999999999999})", R"({"[UNK]": 1, "a": 70000})",
      R"({"[UNK]": 1, "a": 65536})", R"({"[UNK]": 1, "a": 65537})", R"({"[UNK]": 1, "a": 1})", R"({"[UNK]": 1, "[UNK]": 0})",
      R"({"[UNK]": 1, "b": 0, "a": 0})", R"({"[UNK]": 1, "a": 0, "b": 0})", R"({"[UNK]": 1, "a": "0"})", R"({"[UNK]": 1, "a": null})",
      R"({"[UNK]": 1, "a": [0]})", R"({"[UNK]": 1, "a": {"b": 0}})", R"({"[UNK]": 1, "a": true})", R"({"[UNK]": 1, "": 0})",
      R"({"[UNK]": 1, "\u0000": 0})", R"({"[UNK]": 1, "\ud800": 0})", R"({"[UNK]": 1, "\udc00": 0})",
      R"({"[UNK]": 1, "\ud800\u0041": 0})", R"({"[UNK]": 1, "\ud800x": 0})", R"({"[UNK]": 1, "\u12": 0})",
      R"({"[UNK]": 1, "\uZZZZ": 0})", R"({"[UNK]": 1, "\x": 0})", R"({"[UNK]": 1, "\'": 0})", R"({"[UNK]": 1, "\u00E9\u00e9": 0})",
      "{\"[UNK]\": 1, \"a\x01\": 0}", "{\"[UNK]\": 1, \"a\x7F\": 0}", "{\"[UNK]\": 1, \"\xC0\x80\": 0}",
      "{\"[UNK]\": 1, \"\xC2\": 0}", "{\"[UNK]\": 1, \"\xED\xA0\x80\": 0}", "{\"[UNK]\": 1, \"\xF4\x90\x80\x80\": 0}",
      "{\"[UNK]\": 1, \"\xF0\x8F\xBF\xBF\": 0}", "{\"[UNK]\": 1, \"\xE0\x9F\xBF\": 0}", "{\"[UNK]\": 1, \"\xF5\x80\x80\x80\": 0}",
      "{\"[UNK]\": 1, \"\xEF\xBF\xBF\xF4\x8F\xBF\xBF\": 0}", "{\"[UNK]\": 1, \"\x80\": 0}", "{\"[UNK]\":1,\"a\":0}",
      "{ \t\r\n\"[UNK]\" \t\r\n: \t\r\n1 \t\r\n, \"a\":0\n}", "{\"[UNK]\": 1,\f\"a\": 0}", "{\"[UNK]\": 1, \"a\": 0",
      "{\"[UNK]\": 1, \"a", "{\"[UNK]\": 1, \"a\": ", "{\"[UNK]\": 1, \"a\\", "{\"[UNK]\": 1, \"a\\u00",
  };
  for (const std::string& vocab : vocabs) ExpectSameAsTree(WithVocab(vocab), vocab);
  // Where the vocabulary sits and how its keys are written.
  const std::string v = R"({"[UNK]": 1, "a": 0})";
  const std::vector<std::string> files = {
      WithVocab(v, R"(, "vocab": {"b": 0})"),                        // "vocab" twice: the tree keeps the last
      WithVocab(v) + " ",                                            // trailing whitespace
      WithVocab(v) + " x",                                           // trailing garbage
      "\xEF\xBB\xBF" + WithVocab(v),                                 // byte order mark
      "\xEF\xBB" + WithVocab(v),                                     // half a byte order mark
      R"({"mod\u0065l": {"type": "WordPiece", "vocab": )" + v + "}}",  // escaped key names
      R"({"model": {"type": "WordPiece", "voc\u0061b": )" + v + "}}",
      R"({"model": {"vocab": )" + v + R"(, "type": "WordPiece"}})",    // vocab before type
      R"({"model": {"type": "WordPiece", "vocab": )" + v + R"(}, "model": {"type": "WordPiece", "vocab": {}}})",
      R"({"model": {"type": "WordPiece", "vocab": {}}, "model": {"type": "WordPiece", "vocab": )" + v + "}}",
      R"({"mod\u0065l": {"type": "WordPiece", "vocab": {}}, "model": {"type": "WordPiece", "vocab": )" + v + "}}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + R"(, "vocab": {}}})",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + R"(, "voc\u0061b": {}}})",
      R"({"x": "\"model\": {", "model": {"type": "WordPiece", "x": ["{\"vocab\": {", "}"], "vocab": )" + v + "}}",
      R"({"x": {"model": {"vocab": {"q": 0}}}, "model": {"type": "WordPiece", "vocab": )" + v + "}}",
      R"({"model": {"type": "Unigram", "vocab": )" + v + "}}",
      R"({"model": {"type": "WordLevel", "unk_token": "[UNK]", "vocab": )" + v + "}}",
      R"({"model": {"type": "BPE", "unk_token": "[UNK]", "vocab": )" + v + R"(, "merges": []}})",
      R"({"model": {"type": "BPE", "vocab": )" + v + R"(, "merges": [["a", "a"]]}})",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + "}, \"added_tokens\": [}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + "}, \"padding\": {\"pad_id\": 2.5}}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + "}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + "}}}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + "]}",
      R"([{"model": {"type": "WordPiece", "vocab": )" + v + "}}]",
      R"({"model": "x", "vocab": )" + v + "}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + R"(}, "x": )" + std::string(70, '[') + std::string(70, ']') + "}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + R"(}, "x": )" + std::string(60, '[') + std::string(60, ']') + "}",
      R"({"model": {"type": "WordPiece", "unk_token": "[MISSING]", "vocab": )" + v + "}}",
      R"({"model": {"type": "WordPiece", "vocab": )" + v + R"(}} /* comment */)",
  };
  for (const std::string& file : files) ExpectSameAsTree(file, file);
}

TEST(TokenizerJsonReader, MutatedFilesAsTheTree) {
  // Random edits of a small tokenizer.json, concentrated on its vocabulary: each one either reads the
  // same as the tree or fails with the same error.
  const std::string base = WithVocab(kSmallVocab);
  const std::vector<std::string> snippets = {"\"", "\\", "\\u", "\\ud83d", "\\udc00", "{", "}", "[", "]", ":", ",", " ",
                                             "\n", "0", "-", ".", "e", "1e", "00", "\x01", "\x80", "\xC3", "\xED\xA0",
                                             "\xF0\x9F\x98", "null", "\"model\": {", "\"vocab\": ", "16777216", "\"[UNK]\": 1"};
  std::mt19937 random(12345);
  const size_t vocab_at = base.find("\"vocab\"");
  int same_ok = 0, scanned = 0;
  for (int round = 0; round < 10000; ++round) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits; ++e) {
      // Three edits in four land inside the vocabulary.
      const size_t lo = random() % 4 != 0 && vocab_at < text.size() ? vocab_at : 0;
      const size_t at = lo + random() % (text.size() - lo);
      switch (random() % 4) {
        case 0: text.erase(at, 1 + random() % 3); break;
        case 1: text.insert(at, snippets[random() % snippets.size()]); break;
        case 2: text[at] = static_cast<char>(random() % 256); break;
        default: {
          const size_t from = random() % text.size();
          text.insert(at, text.substr(from, 1 + random() % 24));
        }
      }
      if (text.empty()) text = "{";
    }
    if (ExpectSameAsTree(text, "mutation " + std::to_string(round) + ": " + text)) {
      ++same_ok;
      VocabBuilder builder;
      const size_t open = FindVocabObject(text);
      if (open != std::string::npos && ReadVocabObject(text, open, &builder) != std::string::npos) ++scanned;
    }
    if (::testing::Test::HasFailure()) break;
  }
  // Enough of the edits leave a working tokenizer, most of them read by the scanner, for the
  // comparison of the vocabularies to count.
  EXPECT_GT(same_ok, 400);
  EXPECT_GT(scanned, 200);
  std::printf("mutations: %d of 10000 build a tokenizer, %d of them through the vocabulary scanner\n", same_ok, scanned);
}

}  // namespace
}  // namespace bt::tokenizers
