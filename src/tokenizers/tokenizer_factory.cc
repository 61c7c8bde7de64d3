// The Tokenizer factories: tokenizer.json, vocab.json + merges.txt (expressed as the
// tokenizer.json they stand for) and SentencePiece models.
#include <optional>
#include <utility>

#include "io/json_util.h"
#include "tokenizers/pipeline_tokenizer.h"
#include "tokenizers/sentencepiece_model.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/unicode.h"
#include "tokenizers/vocab_json.h"

namespace bt {

namespace tokenizers {
namespace {

// `vocab`: model.vocab already read from the file (TreeWithoutVocab), or null.
Result<std::unique_ptr<Tokenizer>> FromParsedJson(const Json& root, Vocab* vocab = nullptr) {
  if (!root.is_object()) return Status::BadCheckpoint("tokenizer.json: expected an object");
  PipelineParts parts;
  BT_ASSIGN_OR_RETURN(const Json* model, RequiredField(root, "tokenizer.json", "model"));
  BT_ASSIGN_OR_RETURN(parts.model, ModelFromJson(*model, "model", vocab));
  BT_ASSIGN_OR_RETURN(parts.normalizer, NormalizerFromJson(OptionalField(root, "normalizer"), "normalizer"));
  BT_ASSIGN_OR_RETURN(parts.pre_tokenizer,
                      PreTokenizerFromJson(OptionalField(root, "pre_tokenizer"), "pre_tokenizer"));
  BT_ASSIGN_OR_RETURN(parts.post_processor,
                      PostProcessor::FromJson(OptionalField(root, "post_processor"), "post_processor"));
  BT_ASSIGN_OR_RETURN(parts.decoder, DecoderFromJson(OptionalField(root, "decoder"), "decoder"));
  BT_ASSIGN_OR_RETURN(parts.added, AddedVocabulary::FromJson(OptionalField(root, "added_tokens"), "added_tokens"));

  if (const Json* truncation = OptionalField(root, "truncation")) {
    int64_t max_length = 0;
    BT_RETURN_IF_ERROR(ReadInt(*truncation, "truncation", "max_length", &max_length));
    if (max_length < 0 || max_length > INT32_MAX) return FieldError("truncation.max_length", "out of range");
    parts.model_max_length = static_cast<int32_t>(max_length);
  }
  if (const Json* padding = OptionalField(root, "padding")) {
    int64_t pad_id = -1, pad_type_id = 0;
    BT_RETURN_IF_ERROR(ReadInt(*padding, "padding", "pad_id", &pad_id));
    BT_RETURN_IF_ERROR(ReadInt(*padding, "padding", "pad_type_id", &pad_type_id));
    if (pad_id > INT32_MAX) return FieldError("padding.pad_id", "out of range");
    if (pad_type_id < 0 || pad_type_id > INT32_MAX) return FieldError("padding.pad_type_id", "out of range");
    parts.pad_id = static_cast<int32_t>(pad_id);
    std::string direction = "Right";
    BT_RETURN_IF_ERROR(ReadString(*padding, "padding", "direction", &direction));
    if (direction != "Left" && direction != "Right") return FieldError("padding.direction", "expected Left or Right");
    parts.has_padding = true;
    parts.padding_direction = direction == "Left" ? PaddingSide::kLeft : PaddingSide::kRight;
    parts.padding_type_id = static_cast<int32_t>(pad_type_id);
  }
  return std::unique_ptr<Tokenizer>(std::make_unique<PipelineTokenizer>(std::move(parts)));
}

// tokenizer.json in one pass, model.vocab ({token: id}, 30k+ entries) read straight into a Vocab and
// the rest into a JSON tree by nlohmann's own tree builder: building and freeing the vocabulary's tree
// was most of a BERT tokenizer's load time. The tree gets an empty object in the vocabulary's place.
// Only the regular case is taken: invalid JSON, nesting deeper than kMaxJsonDepth, "model" or its
// "vocab" given twice, an entry that is not an integer id, or one VocabBuilder refuses stops the pass
// (ok() false), and the caller reads the file the ordinary way — same tokenizer, same errors.
// `builder`: the vocabulary already read by ReadVocabObject (vocab_json.h) when the text given to the
// pass has "{}" in its place (then the pass must capture exactly that empty object: sax_entries() 0).
class TreeWithoutVocab {
 public:
  using Builder = nlohmann::detail::json_sax_dom_parser<Json>;
  explicit TreeWithoutVocab(Json* root, VocabBuilder builder = VocabBuilder())
      : tree_(*root, false), builder_(std::move(builder)) {}

  bool null() { return Value() && tree_.null(); }
  bool boolean(bool v) { return Value() && tree_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return capturing_ ? Entry(v) : Value() && tree_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) {
    if (capturing_) return v <= static_cast<Json::number_unsigned_t>(INT64_MAX) && Entry(static_cast<int64_t>(v));
    return Value() && tree_.number_unsigned(v);
  }
  bool number_float(Json::number_float_t v, const Json::string_t& s) { return Value() && tree_.number_float(v, s); }
  bool string(Json::string_t& v) { return Value() && tree_.string(v); }
  bool binary(Json::binary_t& v) { return Value() && tree_.binary(v); }
  bool start_object(std::size_t n) {
    if (capturing_) return false;
    const bool vocab = pending_vocab_;
    if (!Value() || ++depth_ > kMaxJsonDepth) return false;
    if (depth_ == 2 && root_key_ == kModel) model_open_ = true;
    if (vocab) capturing_ = true;
    return tree_.start_object(n);
  }
  bool key(Json::string_t& k) {
    if (capturing_) {
      key_ = std::move(k);
      return true;
    }
    if (depth_ == 1) {
      root_key_ = k == "model" ? kModel : kOther;
      if (root_key_ == kModel && ++models_ > 1) return false;
    } else if (depth_ == 2 && model_open_ && k == "vocab") {
      if (++vocabs_ > 1) return false;
      pending_vocab_ = true;
    }
    return tree_.key(k);
  }
  bool end_object() {
    if (capturing_) {
      capturing_ = false;
      if (!builder_.Finish(&vocab_)) return false;
      has_vocab_ = true;
    }
    if (depth_ == 2) model_open_ = false;
    --depth_;
    return tree_.end_object();
  }
  bool start_array(std::size_t n) {
    if (capturing_ || !Value() || ++depth_ > kMaxJsonDepth) return false;
    return tree_.start_array(n);
  }
  bool end_array() {
    --depth_;
    return tree_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    return tree_.parse_error(position, token, e);
  }

  bool ok() const { return !tree_.is_errored(); }
  // The vocabulary read, or null when model.vocab was not an object.
  Vocab* vocab() { return has_vocab_ ? &vocab_ : nullptr; }
  // Vocabulary entries this pass read itself.
  size_t sax_entries() const { return sax_entries_; }

 private:
  enum RootKey { kNone, kModel, kOther };
  // A value other than a vocabulary entry: not inside the vocabulary, and it ends a pending "vocab".
  bool Value() {
    pending_vocab_ = false;
    return !capturing_;
  }
  bool Entry(int64_t id) {
    ++sax_entries_;
    return builder_.Add(key_, id);
  }

  Builder tree_;
  int depth_ = 0;
  RootKey root_key_ = kNone;
  int models_ = 0, vocabs_ = 0;
  bool model_open_ = false, pending_vocab_ = false, capturing_ = false, has_vocab_ = false;
  std::string key_;
  size_t sax_entries_ = 0;
  VocabBuilder builder_;
  Vocab vocab_;
};

// tokenizer.json through TreeWithoutVocab; nullopt when the pass stops (or, with a `builder` from
// ReadVocabObject, does not capture exactly the empty object in the vocabulary's place).
std::optional<Result<std::unique_ptr<Tokenizer>>> FromJsonWithoutVocabTree(std::string_view text,
                                                                             std::optional<VocabBuilder> builder = {}) {
  const bool prefilled = builder.has_value();
  Json tree;
  TreeWithoutVocab reader(&tree, prefilled ? std::move(*builder) : VocabBuilder());
  if (!Json::sax_parse(text.begin(), text.end(), &reader) || !reader.ok()) return std::nullopt;
  if (prefilled && (!reader.vocab() || reader.sax_entries() != 0)) return std::nullopt;
  // The vocabulary goes to the model types that read {token: id}; else the ordinary way.
  const Json* model = OptionalField(tree, "model");
  const Json* type = model ? OptionalField(*model, "type") : nullptr;
  const bool vocab_model = type && type->is_string() && (*type == "WordPiece" || *type == "BPE" || *type == "WordLevel");
  if (reader.vocab() && !vocab_model) return std::nullopt;
  return FromParsedJson(tree, reader.vocab());
}

}  // namespace

// tokenizer.json as one JSON tree: the reference path, which every file the shortcuts above do not
// take goes through (and the differential fuzz target compares them with).
Result<std::unique_ptr<Tokenizer>> FromJsonTree(std::string_view tokenizer_json) {
  tokenizers::unicode::PrepareTables();
  const Json root = Json::parse(tokenizer_json.begin(), tokenizer_json.end(), nullptr, false);
  if (root.is_discarded()) return Status::BadCheckpoint("tokenizer.json: not valid JSON");
  if (JsonDepth(root) > kMaxJsonDepth) {
    return Status::BadCheckpoint("tokenizer.json: nested more than " + std::to_string(kMaxJsonDepth) +
                         " levels deep");
  }
  return FromParsedJson(root);
}

namespace {

// merges.txt: an optional "#version" line, then one "left right" pair per line.
Result<Json> ParseMergesTxt(std::string_view text) {
  Json merges = Json::array();
  size_t line_number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_number == 1 && line.substr(0, 8) == "#version")) continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size()) {
      return Status::BadCheckpoint("merges.txt line " + std::to_string(line_number) + ": expected \"left right\"");
    }
    merges.push_back(Json::array({std::string(line.substr(0, space)), std::string(line.substr(space + 1))}));
  }
  return merges;
}

}  // namespace
}  // namespace tokenizers

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(std::string_view tokenizer_json) {
  tokenizers::unicode::PrepareTables();
  // The vocabulary by its own scanner, the rest (with "{}" in its place) by the JSON library.
  const size_t open = tokenizers::FindVocabObject(tokenizer_json);
  if (open != std::string_view::npos) {
    tokenizers::VocabBuilder builder;
    const size_t close = tokenizers::ReadVocabObject(tokenizer_json, open, &builder);
    if (close != std::string_view::npos) {
      std::string rest;
      rest.reserve(tokenizer_json.size() - (close - open) + 2);
      rest.append(tokenizer_json.substr(0, open)).append("{}").append(tokenizer_json.substr(close));
      auto tokenizer = tokenizers::FromJsonWithoutVocabTree(rest, std::move(builder));
      if (tokenizer) return std::move(*tokenizer);
    }
  }
  if (auto tokenizer = tokenizers::FromJsonWithoutVocabTree(tokenizer_json)) return std::move(*tokenizer);
  return tokenizers::FromJsonTree(tokenizer_json);
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromBpeFiles(std::string_view vocab_json, std::string_view merges_txt) {
  tokenizers::unicode::PrepareTables();
  Json vocab = Json::parse(vocab_json.begin(), vocab_json.end(), nullptr, false);
  if (vocab.is_discarded() || !vocab.is_object()) return Status::BadCheckpoint("vocab.json: expected a JSON object");
  BT_ASSIGN_OR_RETURN(Json merges, tokenizers::ParseMergesTxt(merges_txt));

  Json added = Json::array();
  for (const char* special : {"<s>", "<pad>", "</s>", "<unk>", "<mask>"}) {
    auto it = vocab.find(special);
    if (it == vocab.end() || !it->is_number_integer()) continue;
    added.push_back({{"id", *it}, {"content", special}, {"special", true}, {"normalized", false}});
  }
  if (!vocab.contains("<s>") || !vocab.contains("</s>")) {
    return Status::BadCheckpoint("vocab.json: <s> and </s> are needed for RoBERTa's special tokens");
  }
  const auto id_of = [&](const char* token) { return vocab[token]; };
  Json root = {
      {"added_tokens", std::move(added)},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"post_processor",
       {{"type", "RobertaProcessing"}, {"cls", {"<s>", id_of("<s>")}}, {"sep", {"</s>", id_of("</s>")}}}},
      {"decoder", {{"type", "ByteLevel"}}},
  };
  root["model"] = {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};
  auto tokenizer = tokenizers::FromParsedJson(root);
  if (!tokenizer.ok()) return tokenizer.status().WithContext("vocab.json + merges.txt");
  return tokenizer;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromSentencePiece(std::string_view model_proto) {
  tokenizers::unicode::PrepareTables();
  BT_ASSIGN_OR_RETURN(tokenizers::PipelineParts parts, tokenizers::PipelineFromSentencePiece(model_proto));
  return std::unique_ptr<Tokenizer>(std::make_unique<tokenizers::PipelineTokenizer>(std::move(parts)));
}

}  // namespace bt
