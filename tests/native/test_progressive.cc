// Progressive loading (LoadOptions::defer_word_embeddings, Model::FillWordEmbeddings): a model loaded
// with its word-embedding rows pending, filled in chunks in random order, gives outputs bitwise equal to
// a full load of the same files — float32, float16 storage decoded to float32, load-time q8 (from float32
// and from float16) and converted int8 tables. The oracle is the full (non-progressive) load, itself
// checked against Hugging Face references (test_parity_*, test_quantized, test_convert). A forward whose
// ids include a pending row is NOT_READY; a failed or invalid fill leaves its rows pending; a masked-LM
// decoder tied to the table refuses the deferral.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "io/safetensors.h"
#include "models/convert.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

// What the test controls of a weights file: reads of [fail_begin, fail_end) fail while `fail` is set;
// `alive` counts sources not destroyed yet (the model releases its kept file once complete).
struct Control {
  bool fail = false;
  uint64_t fail_begin = 0, fail_end = 0;
  int alive = 0;
};

class ControlledSource : public FileSource {
 public:
  ControlledSource(std::string bytes, std::shared_ptr<Control> control)
      : bytes_(std::move(bytes)), control_(std::move(control)) {
    ++control_->alive;
  }
  ~ControlledSource() override { --control_->alive; }
  uint64_t size() const override { return bytes_.size(); }
  Status Read(uint64_t offset, size_t length, uint8_t* dst) const override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) return Status::FileRead("read beyond the end");
    if (control_->fail && offset < control_->fail_end && offset + length > control_->fail_begin) {
      return Status::FileRead("bytes [" + std::to_string(offset) + ", " + std::to_string(offset + length) +
                              ") are not available");
    }
    std::memcpy(dst, bytes_.data() + offset, length);
    return Status::Ok();
  }

 private:
  std::string bytes_;
  std::shared_ptr<Control> control_;
};

using Files = std::map<std::string, std::string>;

Files Snapshot(const FileStore& store) {
  Files files;
  for (const std::string& name : store.Names()) {
    const FileSource* source = store.Find(name);
    std::string bytes(source->size(), '\0');
    EXPECT_TRUE(source->Read(0, bytes.size(), reinterpret_cast<uint8_t*>(bytes.data())).ok());
    files[name] = std::move(bytes);
  }
  files.erase("reference.safetensors");
  return files;
}

Files ReadFolder(const std::string& dir) {
  auto store = ReadDirectory(dir);
  EXPECT_TRUE(store.ok()) << store.status().message();
  return store.ok() ? Snapshot(store.value()) : Files{};
}

FileStore Store(const Files& files, const std::shared_ptr<Control>& control) {
  FileStore store;
  for (const auto& [name, bytes] : files) {
    if (name.size() > 12 && name.substr(name.size() - 12) == ".safetensors") {
      store.PutSource(name, std::make_unique<ControlledSource>(bytes, control));
    } else {
      EXPECT_TRUE(store.Put(name, bytes).ok());
    }
  }
  return store;
}

Result<Files> Convert(const Files& in, ConvertDType dtype) {
  FileStore store = Store(in, std::make_shared<Control>());
  ConvertOptions options;
  options.dtype = dtype;
  BT_ASSIGN_OR_RETURN(auto converter, CheckpointConverter::Open(store, options));
  std::string file = converter->header();
  for (size_t i = 0; i < converter->outputs().size(); ++i) {
    std::string bytes(converter->outputs()[i].bytes, '\0');
    BT_RETURN_IF_ERROR(converter->TensorBytes(i, reinterpret_cast<uint8_t*>(bytes.data())));
    file += bytes;
  }
  Files out = in;
  for (auto it = out.begin(); it != out.end();) it = it->first.find(".safetensors") != std::string::npos ? out.erase(it) : ++it;
  out["config.json"] = converter->config_json();
  out["model.safetensors"] = file;
  return out;
}

LoadOptions Options(bool q8, bool defer) {
  LoadOptions options;
  options.quantize_int8 = q8;
  options.dtype_given = q8;
  options.defer_word_embeddings = defer;
  return options;
}

bool BitwiseEqual(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

void ExpectSameOutputs(const ForwardResult& a, const ForwardResult& b) {
  EXPECT_TRUE(BitwiseEqual(a.logits, b.logits)) << "logits";
  EXPECT_TRUE(BitwiseEqual(a.start_logits, b.start_logits)) << "start_logits";
  EXPECT_TRUE(BitwiseEqual(a.end_logits, b.end_logits)) << "end_logits";
  EXPECT_TRUE(BitwiseEqual(a.last_hidden_state, b.last_hidden_state)) << "last_hidden_state";
  EXPECT_TRUE(BitwiseEqual(a.pooled, b.pooled)) << "pooled";
  EXPECT_TRUE(BitwiseEqual(a.hidden_states, b.hidden_states)) << "hidden_states";
}

ForwardResult RunForward(Model& model, const ForwardRequest& request) {
  auto out = model.Forward(request);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? std::move(out).value() : ForwardResult{};
}

// The word-embedding table's view in the files (the tensor the loader defers).
TensorView TableView(const Files& files, const std::string& file, const std::string& name, const FileSource& source) {
  auto parsed = SafetensorsFile::Parse(source, file);
  EXPECT_TRUE(parsed.ok());
  const TensorView* view = parsed.ok() ? parsed->Find(name) : nullptr;
  EXPECT_NE(view, nullptr) << name;
  return view ? *view : TensorView{};
}

std::vector<int32_t> UniqueIds(const std::vector<int32_t>& ids) {
  std::set<int32_t> set(ids.begin(), ids.end());
  return {set.begin(), set.end()};
}

// Loads `files` deferred, checks that a forward on pending rows is NOT_READY, fills exactly the request's
// rows (first result: equal to the full load), then the rest in random chunks (equal again); the kept
// file is released at the end.
void ExpectProgressiveEqualsFull(const Files& files, bool q8, const ForwardRequest& request, uint32_t seed) {
  auto control = std::make_shared<Control>();
  FileStore full_store = Store(files, control);
  auto full = Model::Load(full_store, Options(q8, false));
  ASSERT_TRUE(full.ok()) << full.status().message();
  const ForwardResult expected = RunForward(*full.value(), request);
  full.value().reset();
  full_store = FileStore();
  ASSERT_EQ(control->alive, 0);

  FileStore store = Store(files, control);
  auto loaded = Model::Load(store, Options(q8, true));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Model& model = *loaded.value();
  store = FileStore();
  const int32_t rows = model.parts().encoder.embeddings.word.rows();
  ASSERT_EQ(model.pending_word_embeddings(), rows);
  EXPECT_EQ(control->alive, 1) << "the table's file is kept while rows are pending";

  auto pending = model.Forward(request);
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.status().code(), StatusCode::kNotReady);
  EXPECT_NE(pending.status().message().find("has not been downloaded yet"), std::string::npos) << pending.status().message();
  EXPECT_TRUE(pending.status().details().tensor);
  EXPECT_NE(model.RequireCompleteWeights("explain").code(), StatusCode::kOk);

  const std::vector<int32_t> needed = UniqueIds(request.ids);
  for (int32_t id : needed) ASSERT_TRUE(model.FillWordEmbeddings(id, 1).ok());
  ASSERT_EQ(model.pending_word_embeddings(), rows - static_cast<int32_t>(needed.size()));
  SCOPED_TRACE("first result, only the request's rows present");
  ExpectSameOutputs(RunForward(model, request), expected);

  std::vector<std::pair<int32_t, int32_t>> chunks;
  std::mt19937 rng(seed);
  for (int32_t r = 0; r < rows;) {
    const int32_t n = std::min(rows - r, static_cast<int32_t>(1 + rng() % 97));
    chunks.emplace_back(r, n);
    r += n;
  }
  std::shuffle(chunks.begin(), chunks.end(), rng);
  for (const auto& [first, count] : chunks) {
    ASSERT_TRUE(model.FillWordEmbeddings(first, count).ok());
    if (model.pending_word_embeddings() > 0) EXPECT_EQ(control->alive, 1);
  }
  EXPECT_EQ(model.pending_word_embeddings(), 0);
  EXPECT_EQ(control->alive, 0) << "the kept file is released once every row is in";
  EXPECT_TRUE(model.RequireCompleteWeights("explain").ok());
  EXPECT_TRUE(model.FillWordEmbeddings(0, rows).ok());  // a complete table: nothing to do
  SCOPED_TRACE("complete");
  ExpectSameOutputs(RunForward(model, request), expected);
}

bool TiedDecoderRefusal(const Files& files, bool q8) {
  FileStore store = Store(files, std::make_shared<Control>());
  auto loaded = Model::Load(store, Options(q8, true));
  if (loaded.ok()) return false;
  EXPECT_EQ(loaded.status().code(), StatusCode::kUnsupported) << loaded.status().message();
  EXPECT_NE(loaded.status().message().find("progressive loading"), std::string::npos) << loaded.status().message();
  EXPECT_TRUE(loaded.status().details().tensor);
  return true;
}

TEST(Progressive, TinyModelsBitwiseEqualToFullLoad) {
  BT_REQUIRE_SHARED();
  int deferred = 0, refused = 0;
  for (const std::string& name : testing::SharedFolderEntries("models/tiny")) {
    SCOPED_TRACE(name);
    const std::string dir = testing::SharedPath("models/tiny/" + name);
    ForwardRequest request = testing::ReferenceRequest(testing::ReadReference(dir + "/reference.safetensors"));
    request.output_hidden_states = true;
    const Files fp32 = ReadFolder(dir);
    auto fp16 = Convert(fp32, ConvertDType::kF16);
    auto int8 = Convert(fp32, ConvertDType::kQ8);
    ASSERT_TRUE(fp16.ok() && int8.ok());
    const bool mlm = name.find("maskedlm") != std::string::npos;
    const std::vector<std::pair<const Files*, bool>> cases = {
        {&fp32, false}, {&fp32, true}, {&fp16.value(), false}, {&fp16.value(), true}, {&int8.value(), true}};
    for (size_t c = 0; c < cases.size(); ++c) {
      SCOPED_TRACE("case " + std::to_string(c));
      if (mlm && TiedDecoderRefusal(*cases[c].first, cases[c].second)) {
        ++refused;
        continue;
      }
      ExpectProgressiveEqualsFull(*cases[c].first, cases[c].second, request, 7 + static_cast<uint32_t>(c));
      ++deferred;
    }
  }
  std::printf("  deferred loads %d, tied-decoder refusals %d\n", deferred, refused);
  EXPECT_GT(deferred, 40);
  EXPECT_GT(refused, 0);
}

TEST(Progressive, BertMiniSst2Fp16ShardsAndQ8) {
  BT_REQUIRE_SHARED();
  const Files fp16 = ReadFolder(testing::SharedPath("models/bert-mini-sst2"));
  auto tokenized = testing::LoadSharedModel("models/bert-mini-sst2");
  ASSERT_NE(tokenized, nullptr);
  auto encoding = tokenized->tokenizer()->Encode("a gripping, funny and deeply moving film", EncodeOptions{});
  ASSERT_TRUE(encoding.ok());
  ForwardRequest request;
  request.batch = 1;
  request.seq = static_cast<int32_t>(encoding->ids.size());
  request.ids = encoding->ids;
  auto int8 = Convert(fp16, ConvertDType::kQ8);
  ASSERT_TRUE(int8.ok()) << int8.status().message();
  ExpectProgressiveEqualsFull(fp16, false, request, 1);
  ExpectProgressiveEqualsFull(fp16, true, request, 2);
  ExpectProgressiveEqualsFull(int8.value(), true, request, 3);
}

TEST(Progressive, TiedMaskedLmDecoderRefusesDeferral) {
  BT_REQUIRE_SHARED();
  const Files files = ReadFolder(testing::SharedPath("models/tiny/tiny-bert-bert-maskedlm"));
  EXPECT_TRUE(TiedDecoderRefusal(files, false));
  EXPECT_TRUE(TiedDecoderRefusal(files, true));
  // Without the deferral it loads as always.
  FileStore store = Store(files, std::make_shared<Control>());
  EXPECT_TRUE(Model::Load(store, Options(false, false)).ok());
}

// A fill that fails (read error, NaN/Inf, int8 out of range) names the tensor and element, leaves its rows
// pending, and the model keeps working on the rows present; the same fill succeeds once the bytes are good.
struct BadRowCase {
  const char* what;
  ConvertDType storage;  // kF32: the original float32 file
  bool q8;
};

TEST(Progressive, BadRowsStayPending) {
  BT_REQUIRE_SHARED();
  const std::string dir = testing::SharedPath("models/tiny/tiny-bert-bert-sequenceclassification");
  const std::string table = "bert.embeddings.word_embeddings.weight";
  ForwardRequest request = testing::ReferenceRequest(testing::ReadReference(dir + "/reference.safetensors"));
  const Files original = ReadFolder(dir);
  const int32_t bad_row = 77, bad_col = 5;
  for (const BadRowCase& c : {BadRowCase{"f32", ConvertDType::kF32, false}, BadRowCase{"f32 q8", ConvertDType::kF32, true},
                              BadRowCase{"f16", ConvertDType::kF16, false}, BadRowCase{"f16 q8", ConvertDType::kF16, true},
                              BadRowCase{"i8", ConvertDType::kQ8, true}}) {
    SCOPED_TRACE(c.what);
    Files files = original;
    if (c.storage != ConvertDType::kF32) {
      auto converted = Convert(original, c.storage);
      ASSERT_TRUE(converted.ok());
      files = converted.value();
    }
    auto control = std::make_shared<Control>();
    ControlledSource probe(files["model.safetensors"], control);
    const TensorView view = TableView(files, "model.safetensors", table, probe);
    const int64_t width = view.shape[1];
    const size_t element = DTypeSize(view.dtype);
    const uint64_t row_begin = view.offset + static_cast<uint64_t>(bad_row * width) * element;

    // 1. A read failure: FILE_READ, rows stay pending; once readable, the same fill succeeds.
    {
      FileStore store = Store(files, control);
      auto loaded = Model::Load(store, Options(c.q8, true));
      ASSERT_TRUE(loaded.ok()) << loaded.status().message();
      Model& model = *loaded.value();
      for (int32_t id : UniqueIds(request.ids)) ASSERT_TRUE(model.FillWordEmbeddings(id, 1).ok());
      const ForwardResult first = RunForward(model, request);
      const int32_t pending = model.pending_word_embeddings();
      control->fail = true;
      control->fail_begin = row_begin;
      control->fail_end = row_begin + 1;
      const Status failed = model.FillWordEmbeddings(bad_row - 3, 10);
      EXPECT_EQ(failed.code(), StatusCode::kFileRead) << failed.message();
      EXPECT_NE(failed.message().find(table), std::string::npos) << failed.message();
      EXPECT_EQ(model.pending_word_embeddings(), pending);
      ForwardRequest uses_bad = request;
      uses_bad.ids[1] = bad_row;
      EXPECT_EQ(model.Forward(uses_bad).status().code(), StatusCode::kNotReady);
      ExpectSameOutputs(RunForward(model, request), first);  // the rows present still work, unchanged
      control->fail = false;
      ASSERT_TRUE(model.FillWordEmbeddings(bad_row - 3, 10).ok());
      EXPECT_TRUE(model.Forward(uses_bad).ok());
    }
    // 2. A bad value in row bad_row: BAD_CHECKPOINT naming the tensor and the element; rows stay pending.
    if (view.dtype == DType::kI8) {
      files["model.safetensors"][row_begin + bad_col] = static_cast<char>(-128);
    } else if (view.dtype == DType::kF16) {
      const uint16_t inf = 0x7c00;
      std::memcpy(&files["model.safetensors"][row_begin + bad_col * 2], &inf, 2);
    } else {
      const float nan = std::nanf("");
      std::memcpy(&files["model.safetensors"][row_begin + bad_col * 4], &nan, 4);
    }
    FileStore store = Store(files, control);
    auto loaded = Model::Load(store, Options(c.q8, true));
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    Model& model = *loaded.value();
    const int32_t pending = model.pending_word_embeddings();
    const Status bad = model.FillWordEmbeddings(bad_row - 3, 10);
    EXPECT_EQ(bad.code(), StatusCode::kBadCheckpoint) << bad.message();
    EXPECT_NE(bad.message().find(table), std::string::npos) << bad.message();
    const std::string where = view.dtype == DType::kI8 ? "row " + std::to_string(bad_row)
                                                       : "element " + std::to_string(bad_row * width + bad_col);
    EXPECT_NE(bad.message().find(where), std::string::npos) << bad.message();
    EXPECT_EQ(model.pending_word_embeddings(), pending) << "a failed fill marks no row present";
    for (int32_t id : UniqueIds(request.ids)) ASSERT_TRUE(model.FillWordEmbeddings(id, 1).ok());
    EXPECT_TRUE(model.Forward(request).ok());
    // Out-of-range requests are invalid arguments.
    EXPECT_EQ(model.FillWordEmbeddings(-1, 2).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(model.FillWordEmbeddings(model.parts().encoder.embeddings.word.rows(), 1).code(),
              StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace bt
