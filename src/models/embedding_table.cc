#include "models/embedding_table.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace bt {

void EmbeddingTable::QuantizeRow(const float* row, int32_t width, int8_t* q, float* scale) {
  float max_abs = 0.0f;
  bool finite = true;
  for (int32_t j = 0; j < width; ++j) {
    max_abs = std::max(max_abs, std::fabs(row[j]));
    finite &= std::isfinite(row[j]);
  }
  // A row whose max / 127 underflows to 0 (denormal values) is stored as zeros with scale 1.
  const float s = max_abs / 127.0f > 0.0f ? max_abs / 127.0f : 1.0f;
  *scale = s;
  if (!finite) {  // NaN or inf in, NaN out (as in float32); lrintf of NaN/inf is unspecified
    *scale = std::numeric_limits<float>::quiet_NaN();
    std::memset(q, 0, static_cast<size_t>(width));
    return;
  }
  for (int32_t j = 0; j < width; ++j) q[j] = static_cast<int8_t>(std::lrintf(row[j] / s));
}

EmbeddingTable::EmbeddingTable(std::vector<float> values, int32_t rows, int32_t width, bool quantize)
    : rows_(rows), width_(width) {
  if (!quantize) {
    f32_.reset(new float[values.size()]);
    std::memcpy(f32_.get(), values.data(), values.size() * sizeof(float));
    return;
  }
  q8_.resize(static_cast<size_t>(rows) * width);
  scales_.resize(static_cast<size_t>(rows));
  for (int32_t r = 0; r < rows; ++r) {
    const size_t offset = static_cast<size_t>(r) * width;
    QuantizeRow(values.data() + offset, width, q8_.data() + offset, &scales_[r]);
  }
}

EmbeddingTable::~EmbeddingTable() = default;
EmbeddingTable::EmbeddingTable(EmbeddingTable&&) noexcept = default;
EmbeddingTable& EmbeddingTable::operator=(EmbeddingTable&&) noexcept = default;

EmbeddingTable EmbeddingTable::FromF32(std::unique_ptr<float[]> values, int32_t rows, int32_t width) {
  EmbeddingTable table;
  table.rows_ = rows;
  table.width_ = width;
  table.f32_ = std::move(values);
  return table;
}

EmbeddingTable EmbeddingTable::Int8Rows(int32_t rows, int32_t width) {
  EmbeddingTable table;
  table.rows_ = rows;
  table.width_ = width;
  table.q8_.resize(static_cast<size_t>(rows) * width);
  table.scales_.resize(static_cast<size_t>(rows));
  return table;
}

EmbeddingTable EmbeddingTable::Pending(int32_t rows, int32_t width, bool quantized) {
  EmbeddingTable table = quantized ? Int8Rows(rows, width)
                                   : FromF32(std::unique_ptr<float[]>(new float[static_cast<size_t>(rows) * width]), rows, width);
  table.present_.assign(static_cast<size_t>(rows), 0);
  table.pending_ = rows;
  return table;
}

void EmbeddingTable::MarkPresent(int32_t first, int32_t count) {
  for (int32_t r = first; r < first + count && pending_ > 0; ++r) {
    if (present_[static_cast<size_t>(r)] == 0) {
      present_[static_cast<size_t>(r)] = 1;
      --pending_;
    }
  }
  if (pending_ == 0) std::vector<uint8_t>().swap(present_);
}

void EmbeddingTable::Gather(int32_t id, float* out) const {
  const size_t offset = static_cast<size_t>(id) * width_;
  if (f32_) {
    std::memcpy(out, f32_.get() + offset, sizeof(float) * width_);
    return;
  }
  const float scale = scales_[id];
  for (int32_t j = 0; j < width_; ++j) out[j] = static_cast<float>(q8_[offset + j]) * scale;
}

}  // namespace bt
