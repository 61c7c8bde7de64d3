// EmbeddingTable: the word-embedding matrix [rows, width], kept in float32, or — when the model
// is loaded with dtype q8 — as int8 rows with one symmetric scale per row (a quarter of the
// memory; rows are dequantised when gathered). A masked-LM decoder tied to the embeddings is packed
// from these same int8 rows in q8 (LoadTiedLinear): one quantisation serves both.
//
// Progressive loading: a table made by Pending() has its storage allocated but every row pending; the
// loader fills rows in (row_f32 / row_q8 / set_scale, then MarkPresent) as their bytes arrive. Only
// present rows may be gathered: callers check present() (Model::Forward) or complete().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace bt {

class EmbeddingTable {
 public:
  EmbeddingTable() = default;
  // Out of line, in code compiled at -O3 (at -Os, destroying the int8 rows loops over every byte).
  ~EmbeddingTable();
  EmbeddingTable(EmbeddingTable&&) noexcept;
  EmbeddingTable& operator=(EmbeddingTable&&) noexcept;
  EmbeddingTable(std::vector<float> values, int32_t rows, int32_t width, bool quantize);
  // float32 rows as read from a checkpoint, in a buffer allocated without the zero fill a std::vector
  // would do (a 94 MB table is then written once, by the read).
  static EmbeddingTable FromF32(std::unique_ptr<float[]> values, int32_t rows, int32_t width);
  // Storage for int8 rows [rows, width] and their scales, every row present, for the caller to fill
  // (row_q8, scales: QuantizeRow, or the rows of a converted checkpoint). Allocated here, in code
  // compiled at -O3: the loader is compiled for size, where a vector's zero fill is a byte loop
  // (~12 ms for BERT's 7.8 MB table in wasm).
  static EmbeddingTable Int8Rows(int32_t rows, int32_t width);
  // Storage for [rows, width] (int8 + scales when `quantized`, else float32), every row pending.
  static EmbeddingTable Pending(int32_t rows, int32_t width, bool quantized);

  // The int8 rule for one row: scale = max|x| / 127 (1 for an all-zero row), q = lrint(x / scale).
  // The loader and checkpoint converters both call it, so stored int8 rows equal load-time ones.
  static void QuantizeRow(const float* row, int32_t width, int8_t* q, float* scale);

  // Writes row `id` as float32 into out[0..width).
  void Gather(int32_t id, float* out) const;
  int32_t rows() const { return rows_; }
  int32_t width() const { return width_; }
  bool quantized() const { return !q8_.empty(); }
  // q8 only: row r's int8 values (width of them) and its scale.
  const int8_t* q8_row(int32_t r) const { return q8_.data() + static_cast<size_t>(r) * width_; }
  float scale(int32_t r) const { return scales_[static_cast<size_t>(r)]; }
  // Progressive loading: whether every row is present, how many are not, whether row r is.
  bool complete() const { return pending_ == 0; }
  int32_t pending_rows() const { return pending_; }
  bool present(int32_t r) const { return pending_ == 0 || present_[static_cast<size_t>(r)] != 0; }
  // Where a pending row is written (float32 tables / int8 tables), then MarkPresent.
  float* row_f32(int32_t r) { return f32_.get() + static_cast<size_t>(r) * width_; }
  int8_t* row_q8(int32_t r) { return q8_.data() + static_cast<size_t>(r) * width_; }
  float* scales() { return scales_.data(); }
  void MarkPresent(int32_t first, int32_t count);
  size_t bytes() const {
    return (f32_ ? static_cast<size_t>(rows_) * width_ * sizeof(float) : 0) + q8_.size() + scales_.size() * sizeof(float);
  }

 private:
  int32_t rows_ = 0, width_ = 0;
  std::unique_ptr<float[]> f32_;  // [rows, width] when not quantised
  std::vector<int8_t> q8_;
  std::vector<float> scales_;
  std::vector<uint8_t> present_;  // per row, while pending_ > 0
  int32_t pending_ = 0;
};

}  // namespace bt
