// EmbeddingTable: the word-embedding matrix [rows, width], kept in float32, or — when the model
// is loaded with dtype q8 — as int8 rows with one symmetric scale per row (a quarter of the
// memory; rows are dequantised when gathered).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bt {

class EmbeddingTable {
 public:
  EmbeddingTable() = default;
  EmbeddingTable(std::vector<float> values, int32_t rows, int32_t width, bool quantize);

  // Writes row `id` as float32 into out[0..width).
  void Gather(int32_t id, float* out) const;
  int32_t rows() const { return rows_; }
  int32_t width() const { return width_; }
  size_t bytes() const { return f32_.size() * sizeof(float) + q8_.size() + scales_.size() * sizeof(float); }

 private:
  int32_t rows_ = 0, width_ = 0;
  std::vector<float> f32_;
  std::vector<int8_t> q8_;
  std::vector<float> scales_;
};

}  // namespace bt
