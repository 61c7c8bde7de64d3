// Weight validation (issue 20): DecodeToFloat32 refuses NaN / ±Inf (and F64 beyond float32) with the
// file, tensor, first bad element and its index; FirstNonFinite finds the first bad value wherever it
// is (block boundaries, tails, a sum that overflows without any bad value).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "io/safetensors.h"

namespace bt {
namespace {

class MemorySource : public FileSource {
 public:
  explicit MemorySource(std::vector<uint8_t> data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  Status Read(uint64_t offset, size_t length, uint8_t* dst) const override {
    if (offset + length > data_.size()) return Status::FileRead("read past the end");
    std::memcpy(dst, data_.data() + offset, length);
    return Status::Ok();
  }

 private:
  std::vector<uint8_t> data_;
};

TensorView ViewOf(const MemorySource& source, DType dtype, std::vector<int64_t> shape) {
  TensorView v;
  v.name = "encoder.w";
  v.file = "model.safetensors";
  v.dtype = dtype;
  v.shape = std::move(shape);
  v.source = &source;
  v.bytes = source.size();
  return v;
}

TEST(WeightsFinite, FirstNonFiniteEverywhere) {
  const float kNaN = std::numeric_limits<float>::quiet_NaN(), kInf = std::numeric_limits<float>::infinity();
  for (int64_t n : {1, 3, 4095, 4096, 4097, 8192, 20000}) {
    for (int64_t at : {int64_t{0}, n / 2, n - 1}) {
      for (float bad : {kNaN, kInf, -kInf}) {
        std::vector<float> x(n, 0.25f);
        x[at] = bad;
        EXPECT_EQ(FirstNonFinite(x.data(), n), at) << "n=" << n << " at=" << at << " bad=" << bad;
      }
    }
    std::vector<float> fine(n, 3e38f);  // sums overflow, yet every value is finite
    EXPECT_EQ(FirstNonFinite(fine.data(), n), -1);
  }
}

TEST(WeightsFinite, DecodeNamesFileTensorElementAndValue) {
  // 600,000 floats (more than one 1 MB read block); a NaN in the second block.
  std::vector<float> values(600000, 0.5f);
  values[300001] = std::numeric_limits<float>::quiet_NaN();
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  MemorySource source(bytes);
  TensorView view = ViewOf(source, DType::kF32, {1000, 600});
  std::vector<float> out(values.size());
  Status s = DecodeToFloat32(view, out.data());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("model.safetensors: tensor 'encoder.w' holds NaN at element 300001 (index [500, 1])"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("validate_weights: false"), std::string::npos);
  // A row range that avoids the bad element decodes; with the check off everything decodes.
  EXPECT_TRUE(DecodeToFloat32(view, 0, 300000, out.data()).ok());
  view.check_finite = false;
  EXPECT_TRUE(DecodeToFloat32(view, out.data()).ok());
  EXPECT_TRUE(std::isnan(out[300001]));
}

TEST(WeightsFinite, HalfBFloatAndDoubleToo) {
  auto half_source = [](uint16_t special, size_t at) {
    std::vector<uint8_t> b(64 * 2);
    for (size_t i = 0; i < 64; ++i) {
      const uint16_t v = i == at ? special : 0x3c00;
      std::memcpy(b.data() + 2 * i, &v, 2);
    }
    return MemorySource(b);
  };
  MemorySource f16 = half_source(0xfc00, 9);  // -inf
  std::vector<float> out(64);
  Status s = DecodeToFloat32(ViewOf(f16, DType::kF16, {8, 8}), out.data());
  EXPECT_NE(s.message().find("holds -Inf at element 9 (index [1, 1])"), std::string::npos) << s.message();
  MemorySource bf16 = half_source(0x7fc0, 63);  // NaN
  s = DecodeToFloat32(ViewOf(bf16, DType::kBF16, {64}), out.data());
  EXPECT_NE(s.message().find("holds NaN at element 63;"), std::string::npos) << s.message();

  std::vector<uint8_t> b(4 * 8);
  const double vals[4] = {1.0, -2.5, 1e300, 0.0};
  std::memcpy(b.data(), vals, sizeof(vals));
  MemorySource f64(b);
  s = DecodeToFloat32(ViewOf(f64, DType::kF64, {4}), out.data());
  EXPECT_NE(s.message().find("holds 1e+300 (beyond float32's range) at element 2"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace bt
