#include "models/encoder.h"

#include <cstring>

#include "models/backward_weights.h"

namespace bt {

int32_t EncoderWeights::max_sequence() const {
  // kNone: no table; the loader sets max_positions to the longest sequence it supports.
  return embeddings.positions == PositionIds::kAfterPadding ? max_positions - embeddings.padding_idx - 1
                                                            : max_positions;
}

Status ValidateEncoderInput(const EncoderWeights& w, const EncoderInput& in) {
  if (in.batch <= 0 || in.seq <= 0) return Status::InvalidArgument("forward: batch and sequence length must be positive");
  if (in.seq > w.max_sequence()) {
    return Status::Limit("forward: sequence length " + std::to_string(in.seq) + " exceeds the model's maximum of " +
                         std::to_string(w.max_sequence()) + " positions");
  }
  const int64_t tokens = static_cast<int64_t>(in.batch) * in.seq;
  for (int64_t t = 0; t < tokens; ++t) {
    const std::string where = " at batch row " + std::to_string(t / in.seq) + ", position " + std::to_string(t % in.seq);
    if (in.ids[t] < 0 || in.ids[t] >= w.vocab_size) {
      return Status::InvalidArgument("forward: token id " + std::to_string(in.ids[t]) + where +
                                     " is outside the vocabulary (" + std::to_string(w.vocab_size) + ")");
    }
    if (in.mask[t] != 0 && in.mask[t] != 1) return Status::InvalidArgument("forward: attention mask must be 0 or 1" + where);
    const int32_t type = in.type_ids != nullptr ? in.type_ids[t] : 0;
    const int32_t type_vocab = w.any_type_ids ? (1 << 30) : w.embeddings.token_type.empty() ? 1 : w.type_vocab_size;
    if (type < 0 || type >= type_vocab) {
      return Status::InvalidArgument("forward: token type id " + std::to_string(type) + where + " is outside [0, " +
                                     std::to_string(type_vocab) + ")");
    }
    const int32_t task = in.task_type_ids != nullptr ? in.task_type_ids[t] : 0;
    const int32_t task_vocab = w.embeddings.task_type.empty() ? 1 : w.embeddings.task_type_vocab;
    if (task < 0 || task >= task_vocab) {
      return Status::InvalidArgument("forward: task type id " + std::to_string(task) + where + " is outside [0, " +
                                     std::to_string(task_vocab) + ")" +
                                     (w.embeddings.task_type.empty() ? " (this model has no task type embeddings)" : ""));
    }
  }
  return Status::Ok();
}

void EncoderForward(const EncoderWeights& w, const EncoderInput& in, const EncoderOutput& out,
                    const EncoderBuffers& buffers, Tape* tape, ThreadPool& pool, const Dropout* dropout) {
  if (dropout != nullptr && dropout->hidden <= 0.0f && dropout->attention <= 0.0f) dropout = nullptr;
  const int32_t m = in.batch * in.seq, heads = w.num_heads;
  const int64_t mh = static_cast<int64_t>(m) * w.hidden_size;
  const EmbeddingInput embedding_input{in.batch, in.seq, in.ids, in.type_ids, in.word_vectors, in.task_type_ids, in.mask};
  if (tape != nullptr) {
    tape->batch = in.batch;
    tape->seq = in.seq;
    tape->input = embedding_input;
    tape->mask = in.mask;
  }
  EmbeddingsForward(w.embeddings, embedding_input, out.hidden, buffers.embeddings,
                    tape != nullptr && tape->first_layer == 0 ? &tape->embeddings : nullptr, pool);
  if (dropout != nullptr && dropout->hidden > 0.0f) {
    ApplyDropout(dropout->key, kDropoutEmbeddings, dropout->hidden, out.hidden, mh);
    if (tape != nullptr) {
      tape->dropout.hidden = dropout->hidden;
      tape->dropout.key = dropout->key;
    }
  }
  if (out.all_hidden != nullptr) std::memcpy(out.all_hidden, out.hidden, sizeof(float) * mh);
  if (w.relative_positions) XlnetPositionEmbeddings(in.seq, w.hidden_size, w.clamp_len, buffers.positional);

  const int64_t probs_per_layer = static_cast<int64_t>(in.batch) * heads * in.seq * in.seq;
  const bool prune = out.last_layer_rows != nullptr && out.all_hidden == nullptr && out.attentions == nullptr &&
                     tape == nullptr;
  for (int32_t l = 0; l < w.num_layers(); ++l) {
    EncoderLayerIO io{in.batch, in.seq, in.mask, out.hidden};
    const bool last = l == w.num_layers() - 1;
    if (prune && last) {
      io.query_rows = out.last_layer_rows;
      io.query_count = out.last_layer_count;
    }
    if (out.attentions != nullptr) io.probs = out.attentions + l * probs_per_layer;
    io.segments = in.type_ids;
    io.positional = buffers.positional;
    io.dropout = dropout;
    io.layer = l;
    EncoderLayerForward(w.layers[w.layer_order[l]], io, buffers.layer,
                        tape != nullptr && l >= tape->first_layer ? &tape->layers[l] : nullptr, pool);
    if (last && !w.final_norm.gamma.empty()) {  // Hugging Face's last hidden state is after it
      const int32_t rows = prune ? out.last_layer_count : m;
      if (tape != nullptr) std::memcpy(tape->final_input, out.hidden, sizeof(float) * mh);
      LayerNormForward(w.final_norm, out.hidden, out.hidden, rows, w.hidden_size, pool);
    }
    if (out.all_hidden != nullptr) std::memcpy(out.all_hidden + (l + 1) * mh, out.hidden, sizeof(float) * mh);
  }
}

Status EncoderBackward(const EncoderWeights& w, const BackwardWeights& bw, const Tape& tape, float* dhidden,
                       float* dword, float* const* dprobs, float* dembedded, const EncoderBackwardBuffers& buffers,
                       const EncoderGrads* grads, ThreadPool& pool) {
  if (!bw.built()) return Status::Internal("backward: the backward weights were not prepared");
  if (grads != nullptr && tape.contents != TapeContents::kParameterGradients) {
    return Status::Internal("backward: parameter gradients need a tape recorded with kParameterGradients");
  }
  if (!w.final_norm.gamma.empty()) {
    LayerNormBackward(w.final_norm, tape.final_input, dhidden, tape.batch * tape.seq, w.hidden_size, dhidden, pool);
  }
  const SelfAttentionBackwardInputs inputs{tape.input.type_ids, buffers.positional};
  const int32_t first = grads != nullptr ? grads->first_layer : 0;
  if (first < tape.first_layer) {
    return Status::Internal("backward: the tape starts at layer " + std::to_string(tape.first_layer) +
                            ", the backward was asked to reach layer " + std::to_string(first));
  }
  for (int32_t l = w.num_layers() - 1; l >= first; --l) {
    const int32_t distinct = w.layer_order[l];
    const EncoderLayerGrads* layer_grads =
        grads != nullptr && static_cast<size_t>(distinct) < grads->layers.size() ? grads->layers[distinct] : nullptr;
    EncoderLayerBackward(w.layers[distinct], bw, tape.batch, tape.seq, tape.mask, tape.layers[l], dhidden,
                         dprobs != nullptr ? dprobs[l] : nullptr, buffers.layer, layer_grads, pool, inputs);
  }
  if (first > 0 || (dword == nullptr && dembedded == nullptr && (grads == nullptr || grads->embeddings == nullptr))) {
    return Status::Ok();
  }
  if (tape.dropout.hidden > 0.0f) {
    ApplyDropout(tape.dropout.key, kDropoutEmbeddings, tape.dropout.hidden, dhidden,
                 static_cast<int64_t>(tape.batch) * tape.seq * w.hidden_size);
  }
  EmbeddingsBackward(w.embeddings, bw, tape.input, tape.embeddings, dhidden, dword, dembedded, buffers.embeddings,
                     grads != nullptr ? grads->embeddings : nullptr, pool);
  return Status::Ok();
}

}  // namespace bt
