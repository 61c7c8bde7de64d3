// Bodies of the fuzz targets; see fuzz_entry_points.h. Built twice: by scripts/fuzz.sh with
// clang -fsanitize=fuzzer,address,undefined, and (via #include) by the native regression test.
#include "fuzz_entry_points.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <utility>
#include <vector>

#include "io/config.h"
#include "io/file_store.h"
#include "io/safetensors.h"
#include "models/convert.h"
#include "models/model.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/vocab_json.h"

namespace bt::fuzz {
namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers

std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Reads the input front to back; past the end every read gives `fallback`.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t remaining() const { return size_ - at_; }
  uint8_t Byte(uint8_t fallback = 0) { return at_ < size_ ? data_[at_++] : fallback; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(Byte()) << (8 * i);
    return v;
  }
  std::string_view Rest() {
    std::string_view rest(reinterpret_cast<const char*>(data_ + at_), size_ - at_);
    at_ = size_;
    return rest;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// ---------------------------------------------------------------------------------------------
// A micro BERT (vocab 16, hidden 4, 2 heads, 1 layer, 8 positions, 2 labels) built in memory:
// the loader targets need a checkpoint that loads, without reading ../shared on every input.

constexpr const char* kMicroConfig = R"({"model_type": "bert", "architectures": ["BertForSequenceClassification"],
 "vocab_size": 16, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8,
 "max_position_embeddings": 8, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
 "pad_token_id": 0, "id2label": {"0": "NEG", "1": "POS"}})";

// A WordPiece tokenizer.json over the micro vocabulary (ids 0..15).
constexpr const char* kMicroTokenizer = R"({"version": "1.0",
 "added_tokens": [{"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[UNK]", "special": true},
   {"id": 2, "content": "[CLS]", "special": true}, {"id": 3, "content": "[SEP]", "special": true},
   {"id": 4, "content": "[MASK]", "special": true}],
 "normalizer": {"type": "BertNormalizer", "lowercase": true},
 "pre_tokenizer": {"type": "BertPreTokenizer"},
 "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
 "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
   "max_input_chars_per_word": 100, "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4,
   "a": 5, "b": 6, "the": 7, "cat": 8, "##s": 9, "sat": 10, ".": 11, ",": 12, "!": 13, "##at": 14, "c": 15}}})";

struct MicroTensor {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<MicroTensor> MicroBertTensors() {
  std::vector<MicroTensor> t;
  const std::string e = "bert.embeddings.", l = "bert.encoder.layer.0.";
  t.push_back({e + "word_embeddings.weight", {16, 4}});
  t.push_back({e + "position_embeddings.weight", {8, 4}});
  t.push_back({e + "token_type_embeddings.weight", {2, 4}});
  t.push_back({e + "LayerNorm.weight", {4}});
  t.push_back({e + "LayerNorm.bias", {4}});
  for (const char* qkv : {"query", "key", "value"}) {
    t.push_back({l + "attention.self." + qkv + ".weight", {4, 4}});
    t.push_back({l + "attention.self." + qkv + ".bias", {4}});
  }
  t.push_back({l + "attention.output.dense.weight", {4, 4}});
  t.push_back({l + "attention.output.dense.bias", {4}});
  t.push_back({l + "attention.output.LayerNorm.weight", {4}});
  t.push_back({l + "attention.output.LayerNorm.bias", {4}});
  t.push_back({l + "intermediate.dense.weight", {8, 4}});
  t.push_back({l + "intermediate.dense.bias", {8}});
  t.push_back({l + "output.dense.weight", {4, 8}});
  t.push_back({l + "output.dense.bias", {4}});
  t.push_back({l + "output.LayerNorm.weight", {4}});
  t.push_back({l + "output.LayerNorm.bias", {4}});
  t.push_back({"bert.pooler.dense.weight", {4, 4}});
  t.push_back({"bert.pooler.dense.bias", {4}});
  t.push_back({"classifier.weight", {2, 4}});
  t.push_back({"classifier.bias", {2}});
  return t;
}

// safetensors bytes (F32) for tensors [begin, end) of `tensors`, with deterministic values.
std::string BuildSafetensors(const std::vector<MicroTensor>& tensors, size_t begin, size_t end) {
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  std::string data;
  uint32_t seed = 12345;
  for (size_t i = begin; i < end; ++i) {
    const MicroTensor& tensor = tensors[i];
    int64_t n = 1;
    std::string shape;
    for (size_t d = 0; d < tensor.shape.size(); ++d) {
      n *= tensor.shape[d];
      shape += (d ? "," : "") + std::to_string(tensor.shape[d]);
    }
    const size_t offset = data.size();
    for (int64_t k = 0; k < n; ++k) {
      seed = seed * 1103515245u + 12345u;
      float v = static_cast<float>(static_cast<int32_t>((seed >> 16) % 2001) - 1000) / 2500.0f;
      if (tensor.name.find("LayerNorm.weight") != std::string::npos) v = 1.0f + v / 4;
      char bytes[4];
      std::memcpy(bytes, &v, 4);
      data.append(bytes, 4);
    }
    header += ",\"" + tensor.name + "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(data.size()) + "]}";
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  std::string file(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return file + header + data;
}

const std::string& MicroSafetensors() {
  static const std::string* file = new std::string([] {
    auto tensors = MicroBertTensors();
    return BuildSafetensors(tensors, 0, tensors.size());
  }());
  return *file;
}

// The micro model split in two shards (embeddings + layer | pooler + classifier).
constexpr const char* kShard1 = "model-00001-of-00002.safetensors";
constexpr const char* kShard2 = "model-00002-of-00002.safetensors";
const std::pair<std::string, std::string>& MicroShards() {
  static const auto* shards = new std::pair<std::string, std::string>([] {
    auto tensors = MicroBertTensors();
    const size_t split = tensors.size() - 4;
    return std::make_pair(BuildSafetensors(tensors, 0, split), BuildSafetensors(tensors, split, tensors.size()));
  }());
  return *shards;
}

// ---------------------------------------------------------------------------------------------
// Invariant checks

size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// `strict`: ids must be >= 0 (the fixed tokenizers). A tokenizer.json from the fuzzer may declare
// negative special-token ids, which Forward later rejects as outside the vocabulary.
void CheckEncoding(const Encoding& e, size_t first_chars, size_t second_chars, const Tokenizer& t, bool strict) {
  const size_t n = e.ids.size();
  if (e.type_ids.size() != n || e.tokens.size() != n || e.offsets.size() != n || e.sequence_ids.size() != n ||
      e.word_ids.size() != n || e.attention_mask.size() != n) {
    FuzzFail("Encoding arrays differ in length (ids " + std::to_string(n) + ", type_ids " +
             std::to_string(e.type_ids.size()) + ", tokens " + std::to_string(e.tokens.size()) + ", offsets " +
             std::to_string(e.offsets.size()) + ", sequence_ids " + std::to_string(e.sequence_ids.size()) +
             ", word_ids " + std::to_string(e.word_ids.size()) + ", attention_mask " +
             std::to_string(e.attention_mask.size()) + ")");
  }
  for (size_t i = 0; i < n; ++i) {
    if (strict && e.ids[i] < 0) FuzzFail("negative id " + std::to_string(e.ids[i]) + " at " + std::to_string(i));
    const auto [start, end] = e.offsets[i];
    const int32_t seq = e.sequence_ids[i];
    const size_t limit = seq == 1 ? second_chars : first_chars;
    if (start < 0 || end < start || (seq >= 0 && static_cast<size_t>(end) > limit)) {
      FuzzFail("offsets [" + std::to_string(start) + ", " + std::to_string(end) + ") of token " + std::to_string(i) +
               " outside the text (" + std::to_string(limit) + " code points)");
    }
    (void)t.IdToToken(e.ids[i]);
    (void)t.IsSpecial(e.ids[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// Exercising a tokenizer

struct EncodeSpec {
  bool add_special_tokens = true;
  bool truncation = false;
  int32_t max_length = 0;
  TruncationSide strategy = TruncationSide::kLongestFirst;
  bool pair = false;
  bool windows = false;
  bool decode_raw_ids = false;
  bool skip_special = false;
  int32_t stride = 0;
  bool strict = true;  // see CheckEncoding
};

void Exercise(const Tokenizer& t, std::string_view first, std::string_view second, const EncodeSpec& spec) {
  EncodeOptions options;
  options.add_special_tokens = spec.add_special_tokens;
  options.truncation = spec.truncation;
  options.max_length = spec.max_length;
  options.truncation_strategy = spec.strategy;
  std::vector<int32_t> decoded_ids;
  if (spec.windows) {
    WindowOptions window;
    window.max_length = spec.max_length;
    window.stride = spec.stride;
    auto windows = t.EncodeWindows(first, second, window);
    if (windows.ok()) {
      for (const Encoding& e : windows.value()) {
        CheckEncoding(e, CodePoints(first), CodePoints(second), t, spec.strict);
        decoded_ids.insert(decoded_ids.end(), e.ids.begin(), e.ids.end());
      }
    }
  } else if (spec.pair) {
    auto encoding = t.EncodePair(first, second, options);
    if (encoding.ok()) {
      CheckEncoding(encoding.value(), CodePoints(first), CodePoints(second), t, spec.strict);
      decoded_ids = encoding->ids;
    }
  } else {
    auto encoding = t.Encode(first, options);
    if (encoding.ok()) {
      CheckEncoding(encoding.value(), CodePoints(first), 0, t, spec.strict);
      decoded_ids = encoding->ids;
    }
  }
  (void)t.Decode(decoded_ids, spec.skip_special);
  if (spec.decode_raw_ids) {
    // Arbitrary ids, including negative and out-of-range ones, must decode without crashing.
    std::vector<int32_t> raw;
    const std::string_view bytes = first;
    for (size_t i = 0; i + 1 < bytes.size() && raw.size() < 512; i += 2) {
      const int16_t v = static_cast<int16_t>(static_cast<uint8_t>(bytes[i]) | (static_cast<uint8_t>(bytes[i + 1]) << 8));
      raw.push_back(v);
    }
    raw.push_back(-1);
    raw.push_back(t.vocab_size());
    raw.push_back(INT32_MAX);
    raw.push_back(INT32_MIN);
    (void)t.Decode(raw, spec.skip_special);
    (void)t.Decode(raw, !spec.skip_special);
    for (int32_t id : raw) {
      (void)t.IdToToken(id);
      (void)t.IsSpecial(id);
    }
    (void)t.TokenToId(first);
  }
  (void)t.vocab_size();
  (void)t.pad_id();
  (void)t.mask_id();
  (void)t.mask_token();
}

// Fixed texts through a tokenizer that was itself built from fuzzed bytes.
void ExerciseLoaded(const Tokenizer& t) {
  static const char* kTexts[] = {
      "Hello, world! The cat sat.",
      "  ünïcödé\tÀÉ 你好 ﬁ \u00e9\u0301 [MASK] <mask> <s> </s> \u2581x  ",
      "",
      "a",
      "don't   stop  believing!!! 123,456.78 $$$ https://x.y/z?q=1",
  };
  EncodeSpec spec;
  spec.strict = false;
  for (const char* text : kTexts) {
    spec.pair = false;
    Exercise(t, text, "", spec);
  }
  spec.pair = true;
  spec.truncation = true;
  spec.max_length = 7;
  Exercise(t, kTexts[0], kTexts[1], spec);
  spec.pair = false;
  spec.windows = true;
  spec.max_length = 12;
  spec.stride = 3;
  Exercise(t, kTexts[0], kTexts[4], spec);
  spec.windows = false;
  spec.decode_raw_ids = true;
  spec.max_length = 0;
  spec.truncation = false;
  Exercise(t, "\x01\x00\x02\x00\x03\x00\xff\x7f hello", "", spec);
  std::vector<int32_t> ids;
  const int32_t vocab = t.vocab_size();
  for (int32_t i = 0; i < 64 && i < vocab; ++i) ids.push_back(i);
  for (int32_t i = vocab - 1; i >= 0 && i >= vocab - 16; --i) ids.push_back(i);
  (void)t.Decode(ids, false);
  (void)t.Decode(ids, true);
}

// Encode targets: [flags][max_length][stride][variant] then the text(s).
void EncodeFromBytes(const Tokenizer* const* tokenizers, size_t count, const uint8_t* data, size_t size) {
  if (count == 0) return;
  Reader in(data, size);
  const uint8_t flags = in.Byte();
  const uint8_t max_length = in.Byte();
  const uint8_t stride = in.Byte();
  const uint8_t variant = in.Byte();
  const Tokenizer* t = tokenizers[variant % count];
  if (t == nullptr) return;
  std::string_view text = in.Rest();
  std::string_view second;
  const size_t split = text.find('\xff');
  if (split != std::string_view::npos) {
    second = text.substr(split + 1);
    text = text.substr(0, split);
  }
  EncodeSpec spec;
  spec.add_special_tokens = (flags & 1) == 0;
  spec.truncation = (flags & 2) != 0;
  const int strategy = (flags >> 2) & 3;
  spec.strategy = strategy == 1 ? TruncationSide::kOnlyFirst
                  : strategy == 2 ? TruncationSide::kOnlySecond
                                  : TruncationSide::kLongestFirst;
  spec.pair = (flags & 16) != 0;
  spec.windows = (flags & 32) != 0;
  spec.decode_raw_ids = (flags & 64) != 0;
  spec.skip_special = (flags & 128) != 0;
  spec.max_length = max_length;
  spec.stride = stride;
  Exercise(*t, text, second, spec);
}

std::unique_ptr<Tokenizer> LoadOrNull(Result<std::unique_ptr<Tokenizer>> result, const std::string& what) {
  if (!result.ok()) {
    std::fprintf(stderr, "fuzz: cannot load %s: %s\n", what.c_str(), result.status().message().c_str());
    return nullptr;
  }
  return std::move(result).value();
}

std::unique_ptr<Tokenizer> LoadSharedJson(const std::string& relative) {
  const std::string path = SharedDir() + "/" + relative;
  if (!FileExists(path)) return nullptr;
  return LoadOrNull(Tokenizer::FromJson(ReadWholeFile(path)), path);
}

// ---------------------------------------------------------------------------------------------
// Models

std::unique_ptr<Model> LoadMicroModel(std::string_view config, const std::string& weights,
                                      const LoadOptions& options = {}) {
  FileStore store;
  if (!store.Put("config.json", config).ok() || !store.Put("model.safetensors", weights).ok()) return nullptr;
  auto model = Model::Load(store, options);
  return model.ok() ? std::move(model).value() : nullptr;
}

// A small Forward on a model that loaded from fuzzed files: must not crash either.
void SmallForward(Model& model) {
  ForwardRequest request;
  request.batch = 2;
  request.seq = std::min<int32_t>(3, std::max<int32_t>(1, model.max_sequence()));
  const int32_t vocab = model.config().vocab_size;
  for (int32_t i = 0; i < request.batch * request.seq; ++i) {
    request.ids.push_back(i % vocab);
    request.mask.push_back(i % 3 != 2);
  }
  request.output_attentions = true;
  request.output_hidden_states = true;
  (void)model.Forward(request);
}

struct ForwardModel {
  std::string name;
  std::unique_ptr<Model> model;
};

std::vector<ForwardModel>& ForwardModels() {
  static auto* models = [] {
    auto* list = new std::vector<ForwardModel>();
    if (auto micro = LoadMicroModel(kMicroConfig, MicroSafetensors())) list->push_back({"micro-bert", std::move(micro)});
    // Limits raised as far as the load options allow: the size arithmetic of Forward must still not overflow.
    auto huge = ParseLoadOptions(R"({"limits": {"max_batch": 4611686018427387904, "max_tokens": 4611686018427387904,
                                    "max_forward_bytes": 9223372036854775807}})");
    if (!huge.ok()) FuzzFail("load options with huge limits: " + huge.status().message());
    if (auto micro = LoadMicroModel(kMicroConfig, MicroSafetensors(), huge.value())) {
      list->push_back({"micro-bert (huge limits)", std::move(micro)});
    }
    struct Spec {
      const char* dir;
      bool q8;
    };
    const Spec specs[] = {
        {"tiny-bert-bert-sequenceclassification", false}, {"tiny-bert-bert-sequenceclassification", true},
        {"tiny-roberta-roberta-maskedlm", false},         {"tiny-distilbert-distilbert-questionanswering", false},
        {"tiny-albert-albert-sequenceclassification", false}, {"tiny-bert-bert-tokenclassification", true},
        {"tiny-bert-bertmodel", false},
    };
    for (const Spec& spec : specs) {
      const std::string dir = SharedDir() + "/models/tiny/" + spec.dir;
      if (!FileExists(dir + "/config.json")) continue;
      auto store = ReadDirectory(dir);
      if (!store.ok()) continue;
      LoadOptions options;
      options.quantize_int8 = spec.q8;
      auto model = Model::Load(store.value(), options);
      if (!model.ok()) {
        std::fprintf(stderr, "fuzz: cannot load %s: %s\n", dir.c_str(), model.status().message().c_str());
        continue;
      }
      list->push_back({std::string(spec.dir) + (spec.q8 ? " (q8)" : ""), std::move(model).value()});
    }
    return list;
  }();
  return *models;
}

void CheckFinite(const std::vector<float>& values, const char* what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) FuzzFail(std::string("non-finite ") + what + " at " + std::to_string(i));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string SharedDir() {
  const char* env = std::getenv("BERTOLOGY_SHARED");
  if (env != nullptr && *env != '\0') return env;
#ifdef BERTOLOGY_SHARED_DEFAULT  // the native test build's CMake default
  if (FileExists(std::string(BERTOLOGY_SHARED_DEFAULT) + "/README.md")) return BERTOLOGY_SHARED_DEFAULT;
#endif
  if (FileExists("../shared/README.md")) return "../shared";
  return "/work/shared";
}

void FuzzFail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

int FuzzSafetensors(const uint8_t* data, size_t size) {
  FileStore store;
  if (!store.Put("model.safetensors", AsText(data, size)).ok()) return 0;
  const FileSource* source = store.Find("model.safetensors");
  auto file = SafetensorsFile::Parse(*source, "model.safetensors");
  if (!file.ok()) return 0;
  for (const auto& [name, view] : file->tensors()) {
    if (view.bytes != static_cast<size_t>(view.elements()) * DTypeSize(view.dtype)) {
      FuzzFail("tensor '" + name + "': bytes do not match elements x dtype size");
    }
    if (view.offset + view.bytes > source->size()) FuzzFail("tensor '" + name + "' extends past the file");
    if (view.elements() > (1 << 22)) continue;
    std::vector<float> out(static_cast<size_t>(view.elements()));
    (void)DecodeToFloat32(view, out.data());
  }
  // The same bytes as the weights of a model whose config is fixed.
  FileStore model_files;
  if (!model_files.Put("config.json", kMicroConfig).ok()) return 0;
  if (!model_files.Put("model.safetensors", AsText(data, size)).ok()) return 0;
  auto model = Model::Load(model_files);
  if (model.ok()) SmallForward(*model.value());
  // With dtype q8: stored int8 tensors (a converted checkpoint) are read with their scales.
  LoadOptions q8;
  q8.quantize_int8 = q8.dtype_given = true;
  FileStore q8_files;
  if (!q8_files.Put("config.json", kMicroConfig).ok() || !q8_files.Put("model.safetensors", AsText(data, size)).ok()) return 0;
  auto q8_model = Model::Load(q8_files, q8);
  if (q8_model.ok()) SmallForward(*q8_model.value());
  // The converter on the same bytes: its plan and every output tensor, to q8 and to fp16.
  FileStore convert_files;
  if (!convert_files.Put("config.json", kMicroConfig).ok() || !convert_files.Put("model.safetensors", AsText(data, size)).ok()) {
    return 0;
  }
  for (ConvertDType dtype : {ConvertDType::kQ8, ConvertDType::kF16}) {
    ConvertOptions options;
    options.dtype = dtype;
    auto converter = CheckpointConverter::Open(convert_files, options);
    if (!converter.ok()) continue;
    for (size_t i = 0; i < converter.value()->outputs().size(); ++i) {
      const uint64_t bytes = converter.value()->outputs()[i].bytes;
      if (bytes > (1u << 22)) continue;
      std::vector<uint8_t> out(static_cast<size_t>(bytes));
      (void)converter.value()->TensorBytes(i, out.data());
    }
  }
  return 0;
}

int FuzzSafetensorsIndex(const uint8_t* data, size_t size) {
  FileStore store;
  const auto& shards = MicroShards();
  if (!store.Put("config.json", kMicroConfig).ok() || !store.Put(kShard1, shards.first).ok() ||
      !store.Put(kShard2, shards.second).ok() || !store.Put("model.safetensors.index.json", AsText(data, size)).ok()) {
    return 0;
  }
  auto model = Model::Load(store);
  if (model.ok()) SmallForward(*model.value());
  return 0;
}

int FuzzConfig(const uint8_t* data, size_t size) {
  const std::string_view text = AsText(data, size);
  (void)ParseModelConfig(text);
  if (auto options = ParseLoadOptions(std::string(text)); options.ok()) {
    // The same bytes as load options (dtype, limits) for the micro model.
    if (auto model = LoadMicroModel(kMicroConfig, MicroSafetensors(), options.value())) SmallForward(*model);
  }
  {
    FileStore store;
    if (!store.Put("config.json", text).ok() || !store.Put("model.safetensors", MicroSafetensors()).ok()) return 0;
    auto model = Model::Load(store);
    if (model.ok()) SmallForward(*model.value());
  }
  {
    // The same bytes as tokenizer_config.json beside a valid config + tokenizer.json.
    FileStore store;
    if (!store.Put("config.json", kMicroConfig).ok() || !store.Put("model.safetensors", MicroSafetensors()).ok() ||
        !store.Put("tokenizer.json", kMicroTokenizer).ok() || !store.Put("tokenizer_config.json", text).ok()) {
      return 0;
    }
    auto model = Model::Load(store);
    if (model.ok() && model.value()->tokenizer() != nullptr) {
      EncodeSpec spec;
      spec.truncation = true;
      Exercise(*model.value()->tokenizer(), "the cats sat, a b c!", "", spec);
    }
  }
  return 0;
}

int FuzzTokenizerJson(const uint8_t* data, size_t size) {
  auto tokenizer = Tokenizer::FromJson(AsText(data, size));
  // Differential: FromJson's shortcuts (the vocabulary's own scanner, tokenizers/vocab_json.h) build
  // what the whole file as one JSON tree builds, or fail with the same error.
  auto tree = tokenizers::FromJsonTree(AsText(data, size));
  if (tokenizer.ok() != tree.ok() ||
      (!tree.ok() && (tokenizer.status().code() != tree.status().code() ||
                      tokenizer.status().message() != tree.status().message()))) {
    FuzzFail("tokenizer.json: FromJson and FromJsonTree disagree: " +
             (tokenizer.ok() ? tree.status().message() : tokenizer.status().message()));
  }
  if (!tokenizer.ok()) return 0;
  const Tokenizer& a = *tokenizer.value();
  const Tokenizer& b = *tree.value();
  if (a.vocab_size() != b.vocab_size() || a.pad_id() != b.pad_id() || a.mask_id() != b.mask_id()) {
    FuzzFail("tokenizer.json: FromJson and FromJsonTree build different vocabularies");
  }
  for (int32_t id = 0; id < b.vocab_size(); ++id) {
    const std::string token = b.IdToToken(id);
    if (a.IdToToken(id) != token || a.TokenToId(token) != b.TokenToId(token)) {
      FuzzFail("tokenizer.json: FromJson and FromJsonTree differ at id " + std::to_string(id));
    }
  }
  ExerciseLoaded(a);
  return 0;
}

int FuzzSentencePieceModel(const uint8_t* data, size_t size) {
  auto tokenizer = Tokenizer::FromSentencePiece(AsText(data, size));
  if (tokenizer.ok()) ExerciseLoaded(*tokenizer.value());
  return 0;
}

int FuzzBpeFiles(const uint8_t* data, size_t size) {
  const std::string_view text = AsText(data, size);
  const size_t split = text.find("\n\xff\n");
  const std::string_view vocab = split == std::string_view::npos ? text : text.substr(0, split);
  const std::string_view merges = split == std::string_view::npos ? std::string_view() : text.substr(split + 3);
  auto tokenizer = Tokenizer::FromBpeFiles(vocab, merges);
  if (tokenizer.ok()) ExerciseLoaded(*tokenizer.value());
  return 0;
}

int FuzzEncodeWordPiece(const uint8_t* data, size_t size) {
  static const auto* tokenizers = [] {
    auto* list = new std::vector<std::unique_ptr<Tokenizer>>();
    list->push_back(LoadSharedJson("tokenizers/bert-base-uncased/tokenizer.json"));
    list->push_back(LoadOrNull(Tokenizer::FromJson(kMicroTokenizer), "micro WordPiece"));
    // Cased, accents kept, no Chinese-char splitting, short max word, template post-processor.
    list->push_back(LoadOrNull(Tokenizer::FromJson(R"({
      "added_tokens": [{"id": 1, "content": "[UNK]", "special": true}, {"id": 2, "content": "[CLS]", "special": true},
        {"id": 3, "content": "[SEP]", "special": true}, {"id": 16, "content": "<extra>", "special": false,
        "lstrip": true, "rstrip": true, "normalized": true, "single_word": true}],
      "normalizer": {"type": "BertNormalizer", "clean_text": false, "handle_chinese_chars": false,
        "strip_accents": true, "lowercase": false},
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "BertPreTokenizer"}]},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
        "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                           "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
      "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": false},
      "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
        "max_input_chars_per_word": 5, "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "A": 4, "a": 5,
        "##a": 6, "B": 7, "##b": 8, "e": 9, "##e": 10, "中": 11, "##中": 12, ".": 13, "!": 14, "##.": 15}}})"),
                               "cased WordPiece"));
    return list;
  }();
  std::vector<const Tokenizer*> list;
  for (const auto& t : *tokenizers) list.push_back(t.get());
  EncodeFromBytes(list.data(), list.size(), data, size);
  return 0;
}

int FuzzEncodeBpe(const uint8_t* data, size_t size) {
  static const auto* tokenizers = [] {
    auto* list = new std::vector<std::unique_ptr<Tokenizer>>();
    list->push_back(LoadSharedJson("tokenizers/roberta-bpe/tokenizer.json"));
    const std::string dir = SharedDir() + "/tokenizers/roberta-bpe/";
    if (FileExists(dir + "vocab.json")) {
      list->push_back(LoadOrNull(
          Tokenizer::FromBpeFiles(ReadWholeFile(dir + "vocab.json"), ReadWholeFile(dir + "merges.txt")), dir));
    }
    // Non-byte-level BPE with an unknown token (fused), whitespace pre-tokenizer, no post-processor.
    list->push_back(LoadOrNull(Tokenizer::FromJson(R"({
      "added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 9, "content": "<sep>", "special": true}],
      "pre_tokenizer": {"type": "WhitespaceSplit"},
      "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true,
        "vocab": {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "abc": 5, "bc": 6, "aa": 7, "aaa": 8, "<sep>": 9},
        "merges": ["a b", ["ab", "c"], "b c", "a a", "aa a"]}})"),
                               "plain BPE"));
    // Byte-level with ignore_merges and a prefix space.
    list->push_back(LoadOrNull(Tokenizer::FromJson(R"({
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true, "use_regex": false},
      "decoder": {"type": "ByteLevel"},
      "post_processor": {"type": "ByteLevel", "trim_offsets": true},
      "model": {"type": "BPE", "ignore_merges": true,
        "vocab": {"Ġ": 0, "a": 1, "b": 2, "Ġa": 3, "ab": 4, "Ġab": 5, "Ã": 6, "©": 7, "Ã©": 8},
        "merges": ["Ġ a", "a b", "Ġa b", "Ã ©"]}})"),
                               "byte-level BPE, ignore_merges"));
    // ModernBERT/Llama-3 style: NFC, a Split regex (lookahead, case-insensitive group, bounded
    // repeats) before byte-level, a [CLS]/[SEP] template; and a WordLevel behind every splitting
    // pre-tokenizer (Digits, Punctuation, UnicodeScripts, Whitespace, Split with empty matches).
    list->push_back(LoadOrNull(Tokenizer::FromJson(R"({
      "normalizer": {"type": "NFC"},
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
         "behavior": "Isolated", "invert": false},
        {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[CLS]", "type_id": 2}}],
        "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [9], "tokens": ["[CLS]"]}}},
      "decoder": {"type": "ByteLevel"},
      "model": {"type": "BPE", "vocab": {"Ġ": 0, "a": 1, "b": 2, "Ġa": 3, "ab": 4, "Ġab": 5, "Ã": 6, "©": 7, "Ã©": 8, "[CLS]": 9},
        "merges": ["Ġ a", "a b", "Ġa b", "Ã ©"]}})"),
                               "Split regex + byte-level BPE"));
    list->push_back(LoadOrNull(Tokenizer::FromJson(R"({
      "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "StripAccents"}, {"type": "Strip"},
        {"type": "Prepend", "prepend": "_"}, {"type": "Replace", "pattern": {"Regex": "\\b|x*"}, "content": "."}]},
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true},
        {"type": "Punctuation", "behavior": "MergedWithNext"}, {"type": "UnicodeScripts"}, {"type": "Whitespace"},
        {"type": "Split", "pattern": {"Regex": "(?<=a)|b(?!c)|\\w{2,3}?"}, "behavior": "Contiguous", "invert": true}]},
      "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"Regex": "a|"}, "content": "b"},
        {"type": "Strip", "content": "b", "start": 3, "stop": 3}, {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "CTC"}]},
      "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"<unk>": 0, "a": 1, "ab": 2, "<0x41>": 3}}})"),
                               "WordLevel behind every splitter"));
    return list;
  }();
  std::vector<const Tokenizer*> list;
  for (const auto& t : *tokenizers) list.push_back(t.get());
  EncodeFromBytes(list.data(), list.size(), data, size);
  return 0;
}

int FuzzEncodeUnigram(const uint8_t* data, size_t size) {
  static const auto* tokenizers = [] {
    auto* list = new std::vector<std::unique_ptr<Tokenizer>>();
    const std::string spiece = SharedDir() + "/tokenizers/albert-unigram/spiece.model";
    if (FileExists(spiece)) list->push_back(LoadOrNull(Tokenizer::FromSentencePiece(ReadWholeFile(spiece)), spiece));
    list->push_back(LoadOrNull(Tokenizer::FromJson(R"({
      "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "Replace", "pattern": {"String": "``"}, "content": "\""},
        {"type": "Lowercase"}, {"type": "StripAccents"},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
      "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true},
      "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"},
      "added_tokens": [{"id": 8, "content": "[CLS]", "special": true}, {"id": 9, "content": "[SEP]", "special": true}],
      "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 9], "cls": ["[CLS]", 8]},
      "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["\u2581", -2], ["\u2581hello", -1],
                ["\u2581wor", -3], ["ld", -3], ["\u2581world", -7], ["\"", -2], ["\u2581\"", -2],
                ["[CLS]", 0], ["[SEP]", 0], ["a", -4], ["b", -4], ["ab", -5]]}})"),
                               "Unigram tokenizer.json"));
    // XLNet style: NFKD + StripAccents + Precompiled-free, "first" prepend, <cls> at the end with
    // type id 2, byte fallback, left padding.
    list->push_back(LoadOrNull(Tokenizer::FromJson(R"({
      "normalizer": {"type": "Sequence", "normalizers": [{"type": "Replace", "pattern": {"String": "''"}, "content": "\""},
        {"type": "NFKD"}, {"type": "StripAccents"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
      "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
      "decoder": {"type": "Sequence", "decoders": [{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"},
        {"type": "ByteFallback"}, {"type": "Fuse"}]},
      "added_tokens": [{"id": 3, "content": "<cls>", "special": true}, {"id": 4, "content": "<sep>", "special": true}],
      "padding": {"direction": "Left", "pad_id": 0, "pad_type_id": 3, "pad_token": "<unk>"},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<sep>", "type_id": 0}},
                   {"SpecialToken": {"id": "<cls>", "type_id": 2}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<sep>", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<sep>", "type_id": 1}},
                 {"SpecialToken": {"id": "<cls>", "type_id": 2}}],
        "special_tokens": {"<sep>": {"id": "<sep>", "ids": [4], "tokens": ["<sep>"]},
                           "<cls>": {"id": "<cls>", "ids": [3], "tokens": ["<cls>"]}}},
      "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": true, "vocab": [["<unk>", 0], ["▁", -2],
                ["▁hello", -1], ["<cls>", 0], ["<sep>", 0], ["<0xC3>", -9], ["<0xA9>", -9], ["a", -4], ["ab", -5]]}})"),
                               "XLNet-style Unigram"));
    return list;
  }();
  std::vector<const Tokenizer*> list;
  for (const auto& t : *tokenizers) list.push_back(t.get());
  EncodeFromBytes(list.data(), list.size(), data, size);
  return 0;
}

// Input: [model][flags][batch][seq] then 3 bytes per token (id lo, id hi, attributes).
// flags: 1 hidden states, 2 attentions, 4 no mask, 8 no type ids, 16 raw ids (may be invalid),
//        32 raw batch/seq (int32 each, ids count independent of batch x seq), 64 raw attributes,
//        128 head rows (token t is a row when its attributes have bit 2; bit 3 also adds t - 1, which
//        breaks the increasing order; in raw batch/seq mode rows may fall past batch x seq).
int FuzzForward(const uint8_t* data, size_t size) {
  auto& models = ForwardModels();
  if (models.empty()) return 0;
  Reader in(data, size);
  const uint8_t pick = in.Byte();
  Model& model = *models[(pick & 127) % models.size()].model;
  const uint8_t flags = in.Byte();
  const int32_t max_seq = std::max<int32_t>(1, model.max_sequence());
  const int32_t vocab = model.config().vocab_size;
  ForwardRequest request;
  int64_t count;
  if (flags & 32) {
    request.batch = static_cast<int32_t>(in.U32());
    request.seq = static_cast<int32_t>(in.U32());
    count = std::min<int64_t>(in.remaining() / 3, 4096);
  } else {
    request.batch = 1 + in.Byte() % 4;
    request.seq = 1 + in.Byte() % (max_seq + 2);  // up to two past the maximum: an error
    count = static_cast<int64_t>(request.batch) * request.seq;
  }
  request.output_hidden_states = (flags & 1) != 0;
  request.output_attentions = (flags & 2) != 0;
  request.output_last_hidden_state = (pick & 128) == 0;
  for (int64_t t = 0; t < count; ++t) {
    const bool have = in.remaining() >= 3;
    const uint8_t lo = in.Byte(), hi = in.Byte(), attr = in.Byte(1);
    const int32_t raw = static_cast<int16_t>(lo | (hi << 8));
    request.ids.push_back(!have ? static_cast<int32_t>(t % vocab)
                          : (flags & 16) ? raw
                                         : static_cast<int32_t>(static_cast<uint16_t>(raw) % vocab));
    const int32_t mask = (flags & 64) ? static_cast<int8_t>(attr) >> 4 : (attr & 1);
    const int32_t type = (flags & 64) ? static_cast<int8_t>(attr << 4) >> 4 : ((attr >> 1) & 1);
    if ((flags & 4) == 0) request.mask.push_back(mask);
    if ((flags & 8) == 0) request.type_ids.push_back(type);
    if (flags & 128) {
      request.head_rows_set = true;
      if (attr & 4) request.head_rows.push_back(static_cast<int32_t>(t));
      if (attr & 8) request.head_rows.push_back(static_cast<int32_t>(t) - 1);
    }
  }
  auto result = model.Forward(request);
  if (!result.ok()) return 0;
  // A successful call: outputs have the advertised sizes and are finite.
  const ForwardResult& r = result.value();
  const int64_t tokens = static_cast<int64_t>(request.batch) * request.seq;
  const int64_t hidden = model.config().hidden_size;
  const int64_t want_hidden = request.output_last_hidden_state ? tokens * hidden : 0;
  if (static_cast<int64_t>(r.last_hidden_state.size()) != want_hidden) FuzzFail("last_hidden_state size");
  if (!request.output_last_hidden_state) {
    // Only the head's output was asked for (the last layer may run on the head's rows alone): the
    // same logits and pooled output as the full run, bit for bit.
    ForwardRequest full = request;
    full.output_last_hidden_state = true;
    auto all = model.Forward(full);
    if (!all.ok()) FuzzFail("a request that succeeds head-only fails in full");
    if (all->logits != r.logits || all->pooled != r.pooled || all->start_logits != r.start_logits ||
        all->end_logits != r.end_logits) {
      FuzzFail("head-only outputs differ from the full run");
    }
  }
  if (request.output_hidden_states &&
      static_cast<int64_t>(r.hidden_states.size()) != (model.num_layers() + 1) * tokens * hidden) {
    FuzzFail("hidden_states size");
  }
  if (request.output_attentions &&
      static_cast<int64_t>(r.attentions.size()) !=
          static_cast<int64_t>(model.num_layers()) * model.config().num_attention_heads * tokens * request.seq) {
    FuzzFail("attentions size");
  }
  if (!r.logits_shape.empty()) {
    int64_t n = 1;
    for (int64_t d : r.logits_shape) n *= d;
    if (static_cast<int64_t>(r.logits.size()) != n) FuzzFail("logits size does not match logits_shape");
    if (request.head_rows_set && r.logits_shape[0] != static_cast<int64_t>(request.head_rows.size())) {
      FuzzFail("logits rows do not match the requested head rows");
    }
  }
  CheckFinite(r.last_hidden_state, "last_hidden_state");
  CheckFinite(r.logits, "logits");
  CheckFinite(r.start_logits, "start_logits");
  CheckFinite(r.end_logits, "end_logits");
  CheckFinite(r.pooled, "pooled");
  CheckFinite(r.attentions, "attentions");
  return 0;
}

const std::vector<FuzzTarget>& AllTargets() {
  static const std::vector<FuzzTarget> targets = {
      {"safetensors", FuzzSafetensors},
      {"safetensors_index", FuzzSafetensorsIndex},
      {"config", FuzzConfig},
      {"tokenizer_json", FuzzTokenizerJson},
      {"sentencepiece_model", FuzzSentencePieceModel},
      {"bpe_files", FuzzBpeFiles},
      {"encode_wordpiece", FuzzEncodeWordPiece},
      {"encode_bpe", FuzzEncodeBpe},
      {"encode_unigram", FuzzEncodeUnigram},
      {"forward", FuzzForward},
  };
  return targets;
}

}  // namespace bt::fuzz
