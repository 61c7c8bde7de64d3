// Weight validation (issue 20): DecodeToFloat32 refuses NaN / ±Inf (and F64 beyond float32) with the
// file, tensor, first bad element and its index; FirstNonFinite finds the first bad value wherever it
// is (block boundaries, tails, a sum that overflows without any bad value). The check fused into the
// passes that touch every weight anyway — the f32 panel packer (scalar and 128-bit kernels: same bytes,
// every bad lane flagged), the int8 quantisers of linears and embeddings — gives the same error as the
// decoder: same file, tensor and first bad element, across chunks and stacked parts (q, k, v).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "core/thread_pool.h"
#include "io/safetensors.h"
#include "kernels/gemm_internal.h"
#include "models/weights.h"

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

// A source that reads only on the thread that created it (a JS reader must), and can fail a read.
class CallerOnlySource : public MemorySource {
 public:
  explicit CallerOnlySource(std::vector<uint8_t> data) : MemorySource(std::move(data)) {}
  Status Read(uint64_t offset, size_t length, uint8_t* dst) const override {
    // a slow first read (a disk, a network): a pool thread is there to check before the reads end
    if (reads++ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (std::this_thread::get_id() != owner) other_thread = true;
    if (fail_at != UINT64_MAX && offset <= fail_at && fail_at < offset + length) return Status::FileRead("disk gone");
    return MemorySource::Read(offset, length, dst);
  }
  std::thread::id owner = std::this_thread::get_id();
  uint64_t fail_at = UINT64_MAX;
  mutable int reads = 0;
  mutable bool other_thread = false;
};

// With 2+ threads a large F32 tensor is read block by block by the calling thread while a pool thread
// checks the blocks read (or the calling thread, until a pool thread shows up): still the first bad
// element in index order (whichever block holds it and whatever later blocks hold), a NaN before a
// failed read wins over it (as with one thread), reads only on the calling thread, and the same bytes
// and reads as one thread.
TEST(WeightsFinite, PipelinedCheckOnPoolThreadsFindsTheFirstBadElement) {
  const float kNaN = std::numeric_limits<float>::quiet_NaN(), kInf = std::numeric_limits<float>::infinity();
  const int64_t rows = 9001, width = 768;  // 6.9M floats, 27.6 MB: 26 read blocks of 1 MB and a tail
  const int64_t n = rows * width, block = 1 << 20;  // bad values at multiples of 4 read blocks
  std::vector<float> values(static_cast<size_t>(n));
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-0.2f, 0.2f);
  for (float& v : values) v = dist(rng);
  auto source_with = [&](const std::vector<std::pair<int64_t, float>>& bad) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    for (const auto& [at, v] : bad) std::memcpy(bytes.data() + at * 4, &v, 4);
    return CallerOnlySource(std::move(bytes));
  };
  std::vector<float> out(values.size());
  for (int threads : {1, 2, 3}) {
    SetNumThreads(threads);
    {
      CallerOnlySource source = source_with({});
      ASSERT_TRUE(DecodeToFloat32(ViewOf(source, DType::kF32, {rows, width}), out.data()).ok());
      EXPECT_EQ(0, std::memcmp(out.data(), values.data(), out.size() * 4));
      EXPECT_FALSE(source.other_thread);
      EXPECT_EQ(source.reads, (n + (1 << 18) - 1) >> 18);  // 1 MB reads, whoever checks
    }
    const std::vector<std::vector<std::pair<int64_t, float>>> cases = {
        {{0, kNaN}},
        {{block - 1, kInf}},
        {{block, -kInf}},
        {{3 * block + 5, kNaN}, {block + 7, kInf}, {5 * block, kNaN}},  // the earliest wins, not the first found
        {{n - 1, kNaN}},                                                // in the tail block
        {{2 * block + 100, kNaN}, {2 * block + 99, -kInf}},            // two in one block
    };
    for (const auto& bad : cases) {
      CallerOnlySource source = source_with(bad);
      int64_t first = n;
      for (const auto& [at, v] : bad) first = std::min(first, at);
      Status s = DecodeToFloat32(ViewOf(source, DType::kF32, {rows, width}), out.data());
      ASSERT_FALSE(s.ok()) << "threads=" << threads << " first=" << first;
      const std::string want = " at element " + std::to_string(first) + " (index [" + std::to_string(first / width) +
                               ", " + std::to_string(first % width) + "])";
      EXPECT_NE(s.message().find(want), std::string::npos) << "threads=" << threads << ": " << s.message();
      EXPECT_EQ(s.code(), StatusCode::kBadCheckpoint);
      EXPECT_EQ(s.details().field, "encoder.w");
      EXPECT_FALSE(source.other_thread);
    }
    {  // a NaN in block 2 and a failed read of block 3: the NaN (one thread never reads block 3)
      CallerOnlySource source = source_with({{2 * block + 3, kNaN}});
      source.fail_at = (3 * block + 10) * 4;
      Status s = DecodeToFloat32(ViewOf(source, DType::kF32, {rows, width}), out.data());
      EXPECT_NE(s.message().find("holds NaN at element " + std::to_string(2 * block + 3)), std::string::npos)
          << s.message();
      source.fail_at = (2 * block + 10) * 4;  // the failed read comes first
      s = DecodeToFloat32(ViewOf(source, DType::kF32, {rows, width}), out.data());
      EXPECT_EQ(s.code(), StatusCode::kFileRead) << s.message();
      EXPECT_NE(s.message().find("disk gone"), std::string::npos) << s.message();
    }
    {  // an element range (a row run, as the packer's reader asks for)
      CallerOnlySource source = source_with({{4 * block + 1, kNaN}});
      EXPECT_TRUE(DecodeToFloat32(ViewOf(source, DType::kF32, {rows, width}), 0, 4 * block + 1, out.data()).ok());
      Status s = DecodeToFloat32(ViewOf(source, DType::kF32, {rows, width}), block + 3, 3 * block, out.data());
      EXPECT_NE(s.message().find("at element " + std::to_string(4 * block + 1)), std::string::npos) << s.message();
    }
  }
  SetNumThreads(1);
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

TEST(WeightsFinite, PanelPackKernelsAgreeAndFlagEveryBadLane) {
  const float kNaN = std::numeric_limits<float>::quiet_NaN(), kInf = std::numeric_limits<float>::infinity();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t k : {1, 3, 4, 5, 7, 8, 64, 771}) {
    for (size_t nc = 1; nc <= static_cast<size_t>(kGemmNR); ++nc) {
      std::vector<float> w(nc * k);
      for (float& v : w) v = dist(rng);
      const size_t size = static_cast<size_t>(kGemmNR) * k;
      std::vector<float> plain(size, -1.0f), scalar(size, -2.0f), vec(size, -3.0f), vec_checked(size, -4.0f);
      f32_pack_w8__scalar(nc, k, w.data(), plain.data());
      EXPECT_FALSE(f32_pack_w8_check__scalar(nc, k, w.data(), scalar.data()));
      f32_pack_w8__vec128(nc, k, w.data(), vec.data());
      EXPECT_FALSE(f32_pack_w8_check__vec128(nc, k, w.data(), vec_checked.data()));
      for (size_t kk = 0; kk < k; ++kk) {
        for (size_t j = 0; j < static_cast<size_t>(kGemmNR); ++j) {
          ASSERT_EQ(plain[kk * kGemmNR + j], j < nc ? w[j * k + kk] : 0.0f) << "nc=" << nc << " k=" << k;
        }
      }
      ASSERT_EQ(0, std::memcmp(plain.data(), scalar.data(), size * 4));
      ASSERT_EQ(0, std::memcmp(plain.data(), vec.data(), size * 4));
      ASSERT_EQ(0, std::memcmp(plain.data(), vec_checked.data(), size * 4));
      // One bad value at a time, at every position of small panels and a spread of large ones.
      const size_t step = nc * k > 200 ? 37 : 1;
      for (size_t at = 0; at < nc * k; at += step) {
        for (float bad : {kNaN, kInf, -kInf}) {
          std::vector<float> x = w;
          x[at] = bad;
          EXPECT_TRUE(f32_pack_w8_check__scalar(nc, k, x.data(), scalar.data())) << "at=" << at;
          EXPECT_TRUE(f32_pack_w8_check__vec128(nc, k, x.data(), vec.data())) << "nc=" << nc << " k=" << k << " at=" << at;
          ASSERT_EQ(0, std::memcmp(scalar.data(), vec.data(), size * 4));
        }
      }
      // Huge finite values: the scalar check is exact; the vector one may flag (its sums overflow).
      std::vector<float> huge(nc * k, 3e38f);
      EXPECT_FALSE(f32_pack_w8_check__scalar(nc, k, huge.data(), scalar.data()));
    }
  }
}

// A checkpoint of F32 tensors (name, shape, values) held in memory.
struct Checkpoint {
  FileStore store;
  Result<WeightSource> Open(bool validate) {
    SafetensorsLimits limits;
    limits.validate_weights = validate;
    return WeightSource::Open(store, limits);
  }
};

Checkpoint MakeCheckpoint(const std::vector<std::pair<std::string, std::vector<float>>>& tensors,
                          const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<SafetensorsEntry> entries;
  for (size_t i = 0; i < tensors.size(); ++i) entries.push_back({tensors[i].first, DType::kF32, shapes[i]});
  std::string file = SafetensorsHeader(entries, {});
  for (const auto& [name, values] : tensors) file.append(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  Checkpoint c;
  EXPECT_TRUE(c.store.Put("model.safetensors", file).ok());
  return c;
}

// The f32 packer's check: stacked parts (q, k) read in several chunks (k = 4096: 64 rows a chunk).
TEST(WeightsFinite, PackerNamesTheFirstBadElementOfItsPart) {
  const int64_t rows = 72, k = 4096;
  std::vector<float> q(rows * k), kk(rows * k);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
  for (float& v : q) v = dist(rng);
  for (float& v : kk) v = dist(rng);
  std::vector<float> bias(2 * rows, 0.5f);
  auto pack = [&](Checkpoint& c, bool validate, Status* status) {
    Result<WeightSource> weights = c.Open(validate);
    EXPECT_TRUE(weights.ok());
    std::vector<const TensorView*> parts = {weights.value().Find("q"), weights.value().Find("k")};
    const F32RowReader reader = weights.value().F32Rows(parts, k, status);
    EXPECT_EQ(reader.on_nonfinite != nullptr, validate);
    return PackLinearF32(reader.rows, bias.data(), 2 * rows, k, reader.on_nonfinite);
  };
  const std::vector<std::vector<int64_t>> shapes = {{rows, k}, {rows, k}};
  {  // finite: the same panels as packing the whole matrix in memory
    Checkpoint c = MakeCheckpoint({{"q", q}, {"k", kk}}, shapes);
    Status status = Status::Ok();
    auto packed = pack(c, true, &status);
    ASSERT_TRUE(status.ok()) << status.message();
    ASSERT_NE(packed, nullptr);
    std::vector<float> whole = q;
    whole.insert(whole.end(), kk.begin(), kk.end());
    auto direct = PackLinearF32(whole.data(), bias.data(), 2 * rows, k);
    const auto& a = static_cast<const PackedLinearF32&>(*packed);
    const auto& b = static_cast<const PackedLinearF32&>(*direct);
    ASSERT_EQ(a.bytes(), b.bytes());
    EXPECT_EQ(0, std::memcmp(a.panel(0), b.panel(0), a.bytes()));
  }
  {  // NaN in part k (row 50, chunk 2 of 3), +Inf later in part q: q's comes first in the stacked order
    std::vector<float> q2 = q, k2 = kk;
    k2[50 * k + 4000] = std::numeric_limits<float>::quiet_NaN();
    Checkpoint c = MakeCheckpoint({{"q", q2}, {"k", k2}}, shapes);
    Status status = Status::Ok();
    EXPECT_EQ(pack(c, true, &status), nullptr);
    EXPECT_EQ(status.code(), StatusCode::kBadCheckpoint);
    EXPECT_NE(status.message().find("model.safetensors: tensor 'k' holds NaN at element 208800 (index [50, 4000])"),
              std::string::npos) << status.message();
    EXPECT_EQ(status.details().file, "model.safetensors");
    EXPECT_EQ(status.details().field, "k");
    EXPECT_TRUE(status.details().tensor);
    q2[70 * k + 3] = std::numeric_limits<float>::infinity();
    q2[71 * k] = -std::numeric_limits<float>::infinity();
    Checkpoint c2 = MakeCheckpoint({{"q", q2}, {"k", k2}}, shapes);
    status = Status::Ok();
    EXPECT_EQ(pack(c2, true, &status), nullptr);
    EXPECT_NE(status.message().find("tensor 'q' holds +Inf at element 286723 (index [70, 3])"), std::string::npos)
        << status.message();
    // validate_weights false: packed as it is, NaN and all
    status = Status::Ok();
    EXPECT_NE(pack(c2, false, &status), nullptr);
    EXPECT_TRUE(status.ok());
  }
  {  // huge finite weights: the vector sums overflow, the exact scan finds nothing, the pack goes on
    std::vector<float> q3 = q;
    std::fill(q3.begin() + 8 * k, q3.begin() + 16 * k, 3e38f);
    Checkpoint c = MakeCheckpoint({{"q", q3}, {"k", kk}}, shapes);
    Status status = Status::Ok();
    EXPECT_NE(pack(c, true, &status), nullptr);
    EXPECT_TRUE(status.ok()) << status.message();
  }
}

// The int8 quantisers' check: encoder linears (Q8Rows) and word embeddings (Embeddings, quantized).
TEST(WeightsFinite, QuantisersNameTheFirstBadElement) {
  const int64_t rows = 40, k = 24;
  std::vector<float> w(rows * k, 0.01f), emb(rows * k, 0.02f);
  w[17 * k + 5] = -std::numeric_limits<float>::infinity();
  w[30 * k] = std::numeric_limits<float>::quiet_NaN();
  emb[rows * k - 1] = std::numeric_limits<float>::quiet_NaN();
  Checkpoint c = MakeCheckpoint({{"w", w}, {"emb", emb}}, {{rows, k}, {rows, k}});
  Result<WeightSource> weights = c.Open(true);
  ASSERT_TRUE(weights.ok());
  weights.value().set_quantized(true);
  Status status = Status::Ok();
  std::vector<int8_t> q(rows * k);
  std::vector<float> scales(rows);
  Q8WeightRowSource source = weights.value().Q8Rows({weights.value().Find("w")}, k, &status);
  EXPECT_TRUE(source(0, 17, q.data(), scales.data()));  // rows before the bad one
  EXPECT_FALSE(source(0, 40, q.data(), scales.data()));
  EXPECT_NE(status.message().find("tensor 'w' holds -Inf at element 413 (index [17, 5])"), std::string::npos) << status.message();
  Result<EmbeddingTable> table = weights.value().Embeddings("emb", rows, k);
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("tensor 'emb' holds NaN at element 959 (index [39, 23])"), std::string::npos)
      << table.status().message();
  EXPECT_EQ(table.status().details().field, "emb");
  // Off: quantised as they are (NaN scales: NaN in, NaN out).
  Result<WeightSource> unchecked = c.Open(false);
  ASSERT_TRUE(unchecked.ok());
  unchecked.value().set_quantized(true);
  status = Status::Ok();
  source = unchecked.value().Q8Rows({unchecked.value().Find("w")}, k, &status);
  EXPECT_TRUE(source(0, 40, q.data(), scales.data()));
  EXPECT_TRUE(std::isinf(scales[17]) && std::isnan(scales[30]));
  EXPECT_TRUE(unchecked.value().Embeddings("emb", rows, k).ok());
}

}  // namespace
}  // namespace bt
