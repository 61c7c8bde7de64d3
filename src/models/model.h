// Model: a loaded checkpoint (config + encoder + head), its tokenizer when the files include one, and
// its arena (the working memory of every forward pass on it). Forward runs ids through the encoder and
// the head (forward.h); hidden states and attention probabilities are computed only when asked for.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/status.h"
#include "io/config.h"
#include "io/file_store.h"
#include "io/safetensors.h"
#include "models/architecture.h"
#include "models/forward.h"
#include "tokenizers/tokenizer.h"

namespace bt {

// Limits on untrusted input, as configuration: exceeding one is an error that names the limit
// and how to raise it (load option {"limits": {...}}), never an abort or an out-of-memory crash.
struct Limits {
  int32_t max_batch = 256;
  int64_t max_tokens = 1 << 17;             // batch x seq of one forward call
  int64_t max_forward_bytes = 1ll << 31;    // scratch + outputs of one forward call
  SafetensorsLimits safetensors;            // max_header_bytes, max_tensors
};

struct LoadOptions {
  bool quantize_int8 = false;  // dtype "q8": int8 encoder weights and word embeddings
  // Whether dtype was given. Without it, a checkpoint stored in int8 (config.json
  // quantization_config) loads as q8; asking for fp32 on one is an error.
  bool dtype_given = false;
  // Progressive loading: the word-embedding table's rows are left pending (FillWordEmbeddings reads
  // them later through the weights file, which the model keeps until every row is in).
  bool defer_word_embeddings = false;
  Limits limits;
};

// Parses {"dtype": "fp32" | "q8", "validate_weights": bool, "defer_word_embeddings": bool, "limits": {"max_batch", "max_tokens", "max_forward_bytes",
// "max_header_bytes", "max_tensors"}} (empty text = defaults).
Result<LoadOptions> ParseLoadOptions(const std::string& json_text);

struct ForwardRequest {
  int32_t batch = 0, seq = 0;
  std::vector<int32_t> ids;       // [batch*seq]
  std::vector<int32_t> type_ids;  // [batch*seq] or empty (zeros)
  std::vector<int32_t> mask;      // [batch*seq] or empty (all ones)
  std::vector<int32_t> task_type_ids;  // [batch*seq] or empty (zeros): ERNIE's task types (use_task_id)
  bool output_hidden_states = false;
  bool output_attentions = false;
  // false: the caller wants only the head's output (and pooled), so last_hidden_state is returned empty
  // and, when the head reads only some rows (sequence classification's first token, head_rows, a
  // pooler), the last layer is computed for those rows alone.
  bool output_last_hidden_state = true;
  // Per-token heads (masked LM, token classification) only: run the head on these flat token
  // indices (b*seq + t, increasing) instead of every token; logits are then [head_rows.size(), n].
  bool head_rows_set = false;
  std::vector<int32_t> head_rows;
};

struct ForwardResult {
  std::vector<float> logits;          // sequence cls [batch, labels]; token cls / MLM [batch, seq, n]
  std::vector<int64_t> logits_shape;  // empty when the head has no logits (base model); [rows, n] with head_rows
  std::vector<float> start_logits, end_logits;  // QA: [batch, seq]
  std::vector<float> last_hidden_state;         // [batch, seq, hidden] unless output_last_hidden_state is false
  std::vector<float> pooled;                    // base models with a pooler: [batch, hidden]
  std::vector<float> hidden_states;             // [layers+1, batch, seq, hidden] when asked
  std::vector<float> attentions;                // [layers, batch, heads, seq, seq] when asked
};

class Model {
 public:
  // Loads from config.json, weights (single or sharded safetensors) and, optionally,
  // tokenizer.json + tokenizer_config.json. Consumes (erases) the files it used.
  static Result<std::unique_ptr<Model>> Load(FileStore& files, const LoadOptions& options = {});
  // The tokenizer Load builds from `files` (config.json, the tokenizer files; null without them):
  // a caller that has these files before the weights builds it while they download, and hands the
  // result (the tokenizer or its error) to Load with the same config.json and tokenizer files.
  static Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const FileStore& files);
  static Result<std::unique_ptr<Model>> Load(FileStore& files, const LoadOptions& options,
                                             Result<std::unique_ptr<Tokenizer>>* tokenizer);

  // validate -> plan (which rows each part computes, the arena's layout) -> run -> pack the outputs.
  Result<ForwardResult> Forward(const ForwardRequest& request);

  const ModelConfig& config() const { return config_; }
  HeadKind head() const { return parts_.head; }
  int32_t num_labels() const;
  int32_t num_layers() const { return parts_.encoder.num_layers(); }
  int32_t max_sequence() const { return parts_.encoder.max_sequence(); }
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  size_t weight_bytes() const { return weight_bytes_; }
  // The encoder and head weights (read-only), e.g. for explanations' taped forward/backward.
  const ModelParts& parts() const { return parts_; }
  // The model's working memory: every forward pass on it (inference, explanations) runs in it.
  Arena& arena() { return arena_; }
  size_t workspace_bytes() const { return arena_.capacity(); }
  // Gives back what a larger-than-inference pass (an explanation's taped batch) grew the arena to:
  // it returns to the load-time reservation.
  void TrimArena();
  const Limits& limits() const { return limits_; }

  // Progressive loading (LoadOptions::defer_word_embeddings). Reads the pending rows of [first,
  // first + count) of the word-embedding table through the kept weights file, converted and validated
  // as a full load does; on an error (a failed read, a non-finite value) those rows stay pending and
  // the model is as before. Once every row is present the file is released.
  Status FillWordEmbeddings(int64_t first, int64_t count);
  int32_t pending_word_embeddings() const { return parts_.encoder.embeddings.word.pending_rows(); }
  // NOT_READY unless every word-embedding row is present: for `operation`s that may read any row
  // (explanations' baselines and samples, training, anything not checked row by row).
  Status RequireCompleteWeights(const std::string& operation) const;

 private:
  ModelConfig config_;
  ModelParts parts_;
  std::unique_ptr<Tokenizer> tokenizer_;
  Arena arena_;
  uint64_t reserved_bytes_ = 0;  // the load-time reservation: one sequence of the maximum length
  size_t weight_bytes_ = 0;
  Limits limits_;
  // While word-embedding rows are pending: the table's tensor, and the file it is read from.
  std::optional<TensorView> deferred_view_;
  std::unique_ptr<FileSource> deferred_file_;

  Status CheckRequest(const ForwardRequest& request) const;
  // The arena a pipeline's forward of one `seq`-token sequence needs (the load-time reservation).
  uint64_t PipelineArenaBytes(int32_t seq) const;
};

}  // namespace bt
