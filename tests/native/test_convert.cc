// Checkpoint conversion (src/models/convert.h): a q8 conversion of every tiny model (BERT, RoBERTa,
// DistilBERT, ALBERT; every head, tied MLM decoders, ALBERT's shared layers; float32, float16 and
// bfloat16 storage) loads to outputs bitwise equal to loading the original with dtype q8; fp32
// conversions load bitwise equal to the original in fp32; FloatToHalf rounds to nearest even.
// The oracle for "equal" here is the engine's own load-time path (what the converter must match);
// tests/js/convert.test.mjs checks the stored values against numpy.
#include <cmath>
#include <cstring>

#include "io/safetensors.h"
#include "models/convert.h"
#include "models/model.h"
#include "reference_tensors.h"
#include "test_support.h"

namespace bt {
namespace {

std::vector<std::string> TinyModels() { return testing::SharedFolderEntries("models/tiny"); }

FileStore ReadModel(const std::string& dir) {
  auto files = ReadDirectory(dir);
  EXPECT_TRUE(files.ok()) << files.status().message();
  if (!files.ok()) return FileStore();
  files->Erase("reference.safetensors");
  return std::move(files).value();
}

// The converted folder as a FileStore (config.json + one model.safetensors).
Result<FileStore> Convert(const FileStore& in, ConvertDType dtype, std::string* report = nullptr,
                          bool validate_weights = true) {
  ConvertOptions options;
  options.dtype = dtype;
  options.limits.validate_weights = validate_weights;
  BT_ASSIGN_OR_RETURN(auto converter, CheckpointConverter::Open(in, options));
  std::string file = converter->header();
  for (size_t i = 0; i < converter->outputs().size(); ++i) {
    std::string bytes(converter->outputs()[i].bytes, '\0');
    BT_RETURN_IF_ERROR(converter->TensorBytes(i, reinterpret_cast<uint8_t*>(bytes.data())));
    file += bytes;
  }
  if (file.size() != converter->file_bytes()) return Status::Internal("file_bytes disagrees with the bytes written");
  FileStore out;
  BT_RETURN_IF_ERROR(out.Put("config.json", converter->config_json()));
  BT_RETURN_IF_ERROR(out.Put("model.safetensors", file));
  if (report != nullptr) *report = converter->report_json();
  return out;
}

ForwardResult RunModel(FileStore files, const LoadOptions& options, const ForwardRequest& request) {
  auto model = Model::Load(files, options);
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return {};
  auto out = model.value()->Forward(request);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? std::move(out).value() : ForwardResult{};
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
  EXPECT_TRUE(BitwiseEqual(a.attentions, b.attentions)) << "attentions";
  EXPECT_FALSE(a.hidden_states.empty());
}

TEST(Convert, TinyModelsQ8BitwiseEqualToLoadTimeQuantization) {
  BT_REQUIRE_SHARED();
  LoadOptions q8;
  q8.quantize_int8 = q8.dtype_given = true;
  for (const std::string& name : TinyModels()) {
    SCOPED_TRACE(name);
    const std::string dir = testing::SharedPath("models/tiny/" + name);
    auto ref = testing::ReadReference(dir + "/reference.safetensors");
    ForwardRequest request = testing::ReferenceRequest(ref);
    request.output_hidden_states = request.output_attentions = true;
    const ForwardResult expected = RunModel(ReadModel(dir), q8, request);

    const FileStore original = ReadModel(dir);
    std::string report;
    auto converted = Convert(original, ConvertDType::kQ8, &report);
    ASSERT_TRUE(converted.ok()) << converted.status().message();
    std::printf("  %s: %s\n", name.c_str(), report.c_str());
    // Without dtype the converted folder loads as q8 (its config says so); with dtype q8 the same.
    ExpectSameOutputs(RunModel(std::move(converted).value(), LoadOptions{}, request), expected);
    auto again = Convert(original, ConvertDType::kQ8);
    ASSERT_TRUE(again.ok());
    ExpectSameOutputs(RunModel(std::move(again).value(), q8, request), expected);
  }
}

TEST(Convert, TinyModelsFp32RoundTripIsExact) {
  BT_REQUIRE_SHARED();
  for (const std::string& name : TinyModels()) {
    SCOPED_TRACE(name);
    const std::string dir = testing::SharedPath("models/tiny/" + name);
    ForwardRequest request = testing::ReferenceRequest(testing::ReadReference(dir + "/reference.safetensors"));
    request.output_hidden_states = true;
    const ForwardResult expected = RunModel(ReadModel(dir), LoadOptions{}, request);
    auto fp32 = Convert(ReadModel(dir), ConvertDType::kF32);
    ASSERT_TRUE(fp32.ok()) << fp32.status().message();
    // float32 holds every float16/bfloat16 value exactly: the same model.
    ExpectSameOutputs(RunModel(std::move(fp32).value(), LoadOptions{}, request), expected);
  }
}

TEST(Convert, RejectsConvertedInputAndBadOptions) {
  BT_REQUIRE_SHARED();
  const std::string dir = testing::SharedPath("models/tiny/tiny-bert-bert-sequenceclassification");
  auto converted = Convert(ReadModel(dir), ConvertDType::kQ8);
  ASSERT_TRUE(converted.ok());
  auto twice = Convert(converted.value(), ConvertDType::kF16);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already converted"), std::string::npos) << twice.status().message();
  auto options = ParseConvertOptions(R"({"dtype": "int4"})");
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.status().message().find("'int4' is not supported (q8, fp16 or fp32)"), std::string::npos);
  EXPECT_FALSE(ParseConvertOptions(R"({"dtype": "q8", "bits": 8})").ok());
  EXPECT_FALSE(ParseConvertOptions("{}").ok());
  // Loading the converted folder with an explicit fp32 is a clear error, not a silent dequantisation.
  LoadOptions fp32;
  fp32.dtype_given = true;
  auto model = Model::Load(converted.value(), fp32);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("load it with dtype 'q8'"), std::string::npos) << model.status().message();
}

TEST(Convert, NonFiniteWeights) {
  BT_REQUIRE_SHARED();
  const std::string dir = testing::SharedPath("models/tiny/tiny-bert-bert-sequenceclassification");
  std::string weights = testing::ReadFileOrFail(dir + "/model.safetensors");
  const std::string name = "bert.encoder.layer.0.attention.self.query.weight";
  uint64_t offset = 0;
  {
    FileStore probe;
    ASSERT_TRUE(probe.Put("model.safetensors", weights).ok());
    auto file = SafetensorsFile::Parse(*probe.Find("model.safetensors"), "model.safetensors");
    ASSERT_TRUE(file.ok());
    ASSERT_EQ(file->Find(name)->dtype, DType::kF32);
    offset = file->Find(name)->offset;
  }
  for (const float bad : {INFINITY, NAN}) {
    std::string patched = weights;
    std::memcpy(patched.data() + offset + 4 * 5, &bad, 4);  // row 0, column 5
    FileStore files;
    ASSERT_TRUE(files.Put("config.json", testing::ReadFileOrFail(dir + "/config.json")).ok());
    ASSERT_TRUE(files.Put("model.safetensors", patched).ok());
    // The converter reads the checkpoint as a load does: validate_weights (default on) refuses it first,
    // naming the tensor and the element.
    auto converted = Convert(files, ConvertDType::kQ8);
    ASSERT_FALSE(converted.ok());
    EXPECT_EQ(converted.status().code(), StatusCode::kBadCheckpoint);
    EXPECT_NE(converted.status().message().find("tensor '" + name + "' holds"), std::string::npos)
        << converted.status().message();
    EXPECT_NE(converted.status().message().find("at element 5"), std::string::npos) << converted.status().message();
    EXPECT_EQ(converted.status().details().field, name);
    // Without that check, int8 still cannot hold such a row: a clear error, not a file the reader would reject.
    converted = Convert(files, ConvertDType::kQ8, nullptr, /*validate_weights=*/false);
    ASSERT_FALSE(converted.ok());
    EXPECT_EQ(converted.status().code(), StatusCode::kBadCheckpoint);
    EXPECT_NE(converted.status().message().find("'" + name + "': row 0 holds an infinite or NaN value"), std::string::npos)
        << converted.status().message();
    EXPECT_EQ(converted.status().details().field, name);
    EXPECT_TRUE(converted.status().details().tensor);
    // With validate_weights: false, load-time q8 still loads and runs such a row (a NaN scale: NaN in, NaN
    // out in the int8 GEMM, as in float32; whether the logits end up NaN is not checked here).
    LoadOptions fp32;
    fp32.limits.safetensors.validate_weights = false;
    LoadOptions q8 = fp32;
    q8.quantize_int8 = q8.dtype_given = true;
    ForwardRequest request = testing::ReferenceRequest(testing::ReadReference(dir + "/reference.safetensors"));
    for (const LoadOptions& options : {fp32, q8}) {
      FileStore copy;
      ASSERT_TRUE(copy.Put("config.json", testing::ReadFileOrFail(dir + "/config.json")).ok());
      ASSERT_TRUE(copy.Put("model.safetensors", patched).ok());
      EXPECT_EQ(RunModel(std::move(copy), options, request).logits.size(), 9u);
    }
  }
}

TEST(Convert, FloatToHalfRoundsToNearestEven) {
  // Every float16 value survives the round trip (NaNs stay NaN).
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    const uint16_t back = FloatToHalf(f);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(HalfToFloat(back))) << h;
    } else {
      ASSERT_EQ(back, h) << "half 0x" << std::hex << h;
    }
  }
  // Between neighbours a and b (same sign, finite): below the midpoint -> a, above -> b, at it -> the even one.
  for (uint32_t h = 0; h < 0x7bffu; ++h) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const uint16_t a = static_cast<uint16_t>(h | sign), b = static_cast<uint16_t>((h + 1) | sign);
      const double fa = HalfToFloat(a), fb = HalfToFloat(b), mid = (fa + fb) / 2;
      const float at = static_cast<float>(mid);  // exact: a half midpoint has <= 12 significant bits
      ASSERT_EQ(static_cast<double>(at), mid);
      EXPECT_EQ(FloatToHalf(at), (h & 1u) == 0 ? a : b) << "midpoint after 0x" << std::hex << a;
      EXPECT_EQ(FloatToHalf(std::nextafter(at, static_cast<float>(fa))), a);
      EXPECT_EQ(FloatToHalf(std::nextafter(at, static_cast<float>(fb))), b);
    }
  }
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bffu);
  EXPECT_EQ(FloatToHalf(65519.99f), 0x7bffu);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00u);
  EXPECT_EQ(FloatToHalf(-1e9f), 0xfc00u);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000u);  // the midpoint of 0 and the least subnormal
  EXPECT_EQ(FloatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001u);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000u);
}

}  // namespace
}  // namespace bt
