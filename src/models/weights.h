// WeightSource: every tensor of a checkpoint, from `model.safetensors` or from the shards
// listed in `model.safetensors.index.json`, looked up by Hugging Face name and decoded to
// float32 with its shape checked against what the config implies.
//
// Tensors the engine keeps in int8 (dtype q8: encoder linears, word embeddings — also when a masked-LM
// decoder is tied to them) may also be stored
// in int8, as `bertology convert --dtype q8` writes them (docs/checkpoint-format.md): `<name>` as I8
// [rows, cols] beside `<name>_scale` F32 [rows]. They are read as they are, with the same validation
// as any tensor; float tensors are quantised at load by the same functions the converter calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/file_store.h"
#include "io/safetensors.h"
#include "kernels/gemm.h"
#include "kernels/gemm_q8.h"
#include "models/embedding_table.h"

namespace bt {

// How a load used one tensor (for checkpoint converters): `reads` counts View/Get/Embeddings calls,
// `q8_linear` / `q8_embedding` how many of them were consumed as int8 rows of a linear (Q8Rows) or
// of the word-embedding table (Embeddings). A tensor every read of which was int8, by one rule, is
// what a converter may store in int8.
struct WeightUse {
  int32_t reads = 0, q8_linear = 0, q8_embedding = 0;
};
using WeightUseLog = std::map<std::string, WeightUse>;

// The rows of a float32 linear for PackLinearF32 (gemm.h): the row source, and the check of its F32
// values that the packer makes as it packs them (validate_weights), or null when there is nothing
// for the packer to check (validation off, or F16/BF16/F64 parts: checked as they are converted).
struct F32RowReader {
  WeightRowSource rows;
  NonFiniteRowsHandler on_nonfinite;
};

class WeightSource {
 public:
  // The store must outlive the WeightSource (views point into its buffers).
  static Result<WeightSource> Open(const FileStore& store, const SafetensorsLimits& limits = {});

  // With `quantized`, encoder linears and word embeddings are stored as int8 (dtype "q8").
  void set_quantized(bool quantized) { quantized_ = quantized; }
  bool quantized() const { return quantized_; }
  // The format version of a `bertology convert --dtype q8` checkpoint (ModelConfig::stored_q8_format);
  // version 1 stored linears in 8 bits: Q8Rows narrows them to the 7-bit weight range as it reads them.
  void set_stored_q8_format(int version) { stored_q8_format_ = version; }
  // Progressive loading: Embeddings() leaves the table's rows pending (storage allocated, nothing read
  // but an int8 table's scales) and remembers the tensor (deferred()); FillEmbeddingRows reads them
  // later. Any other read of that tensor (a decoder tied to it) is then an UNSUPPORTED error naming it.
  void set_defer_embeddings(bool defer) { defer_embeddings_ = defer; }
  const std::optional<TensorView>& deferred() const { return deferred_; }
  // Records every use of a tensor into `log` (null: no record).
  void set_use_log(WeightUseLog* log) { log_ = log; }
  // Records that a read of `name` (View) was consumed as the word-embedding table's int8 rows (a tied
  // decoder packed from the table in q8).
  void NoteQ8Embedding(const std::string& name) const { Note(name, &WeightUse::q8_embedding); }

  const TensorView* Find(const std::string& name) const;
  bool Has(const std::string& name) const { return Find(name) != nullptr; }
  // BAD_CHECKPOINT "missing tensor 'name' in the checkpoint", with the tensor (and the file, when the
  // checkpoint is one file) in its details.
  Status MissingTensor(const std::string& name) const;
  // Decodes `name` to float32, checking that its shape equals `shape`.
  Result<std::vector<float>> Get(const std::string& name, const std::vector<int64_t>& shape) const;
  // The tensor `name`, checking that its shape equals `shape` (read it with DecodeToFloat32).
  Result<const TensorView*> View(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<std::string> shard_names() const;
  // Every tensor of every shard, by name.
  std::vector<const TensorView*> tensors() const;

  // The name of the scales of a stored int8 tensor.
  static std::string ScaleName(const std::string& name) { return name + "_scale"; }
  // Rows [row0, row0 + count) of a stored int8 tensor (I8 [rows, cols]) into q ([count, cols]) and
  // their scales; an error unless `<name>_scale` is F32 [rows] with finite, non-negative values and
  // every int8 value is in [-max_abs, max_abs] (linears: kQ8WeightMax = 64; embedding tables: 127).
  Status ReadInt8Rows(const TensorView& view, int64_t row0, int64_t count, int8_t* q, float* scales,
                      int32_t max_abs) const;

  // For a linear the engine keeps in float32: rows of the matrix made of `parts` stacked along their
  // rows (each [rows_i, k]) for PackLinearF32. A failed read, or a NaN / ±Inf weight (named by
  // NonFiniteError: file, tensor, first bad element) found by the packer, sets *status.
  F32RowReader F32Rows(const std::vector<const TensorView*>& parts, int64_t k, Status* status) const;
  // For an encoder linear the engine keeps in int8: rows of the matrix made of `parts` stacked along
  // their rows (each [rows_i, k]), as int8 with their scales. Stored int8 parts are read as they are;
  // float parts are quantised by QuantizeWeightRowQ8, whose scale is the finite check of an F32 row.
  // A failed read or a non-finite weight returns false and sets *status.
  Q8WeightRowSource Q8Rows(const std::vector<const TensorView*>& parts, int64_t k, Status* status) const;

  // The word-embedding table `name` [rows, width]: int8 when quantized() (stored int8 read as it is,
  // float quantised by EmbeddingTable::QuantizeRow), else float32.
  Result<EmbeddingTable> Embeddings(const std::string& name, int64_t rows, int64_t width) const;

 private:
  std::vector<SafetensorsFile> shards_;
  bool quantized_ = false;
  int stored_q8_format_ = 0;
  WeightUseLog* log_ = nullptr;
  bool defer_embeddings_ = false;
  mutable std::optional<TensorView> deferred_;

  // The F32 [rows] scales of the stored int8 tensor `view`, checked for presence, dtype and shape.
  Result<const TensorView*> Int8Scales(const TensorView& view) const;

  void Note(const std::string& name, int32_t WeightUse::*field) const {
    if (log_ != nullptr) ++((*log_)[name].*field);
  }
};

// Progressive loading: reads rows [first, first + count) of the word-embedding table `view` (the tensor
// WeightSource::deferred() named, its source still alive) into the pending rows of `table`, converted,
// quantised and validated exactly as WeightSource::Embeddings reads them in a full load (an I8 table's
// scales are already in the table). Rows already present are left alone; on an error the rows not yet
// marked stay pending. Marks the rows it filled present.
Status FillEmbeddingRows(const TensorView& view, int64_t first, int64_t count, EmbeddingTable* table);

}  // namespace bt
