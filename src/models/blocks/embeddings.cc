#include "models/blocks/embeddings.h"

#include <cstring>

#include "models/backward_weights.h"

namespace bt {
namespace {

// sum = (word + type) + position for every token, word from `in.word_vectors` or the table.
void SumEmbeddings(const EmbeddingWeights& w, const EmbeddingInput& in, const int32_t* positions, float* sum) {
  const int32_t e = w.word.width();
  const int64_t tokens = static_cast<int64_t>(in.batch) * in.seq;
  for (int64_t t = 0; t < tokens; ++t) {
    float* row = sum + t * e;
    if (in.word_vectors != nullptr) {
      std::memcpy(row, in.word_vectors + t * e, sizeof(float) * e);
    } else {
      w.word.Gather(in.ids[t], row);  // the word vector, then the sums in place
    }
    if (w.positions == PositionIds::kNone || w.position.empty()) {  // no absolute positions
      if (!w.token_type.empty()) {
        const float* tt = w.token_type.data() + static_cast<int64_t>(in.type_ids != nullptr ? in.type_ids[t] : 0) * e;
        for (int32_t j = 0; j < e; ++j) row[j] += tt[j];
      }
      continue;
    }
    const float* pos = w.position.data() + static_cast<int64_t>(positions[t]) * e;
    if (w.token_type.empty()) {
      for (int32_t j = 0; j < e; ++j) row[j] += pos[j];
    } else {
      const int32_t type = in.type_ids != nullptr ? in.type_ids[t] : 0;
      const float* tt = w.token_type.data() + static_cast<int64_t>(type) * e;
      // Hugging Face adds word + token type first, then position (DeBERTa: position, then type): keep
      // its rounding order.
      if (w.position_before_type) {
        for (int32_t j = 0; j < e; ++j) row[j] = (row[j] + pos[j]) + tt[j];
      } else {
        for (int32_t j = 0; j < e; ++j) row[j] = (row[j] + tt[j]) + pos[j];
      }
    }
    if (!w.task_type.empty()) {  // ERNIE adds the task type last
      const int32_t task = in.task_type_ids != nullptr ? in.task_type_ids[t] : 0;
      const float* tk = w.task_type.data() + static_cast<int64_t>(task) * e;
      for (int32_t j = 0; j < e; ++j) row[j] += tk[j];
    }
  }
}

// table[index[t]] += rows[t] for every token.
void ScatterRows(const float* rows, const int32_t* index, int64_t tokens, int32_t e, float* table) {
  for (int64_t t = 0; t < tokens; ++t) {
    float* dst = table + static_cast<int64_t>(index[t]) * e;
    const float* src = rows + t * e;
    for (int32_t j = 0; j < e; ++j) dst[j] += src[j];
  }
}

// rows[t] = 0 where mask[t] == 0.
void ZeroMaskedRows(const int32_t* mask, int64_t tokens, int32_t e, float* rows) {
  for (int64_t t = 0; t < tokens; ++t) {
    if (mask[t] == 0) std::memset(rows + t * e, 0, sizeof(float) * e);
  }
}

}  // namespace

void ComputePositionIds(const EmbeddingWeights& w, const int32_t* ids, int32_t batch, int32_t seq, int32_t* out) {
  for (int32_t b = 0; b < batch; ++b) {
    int32_t count = 0;
    for (int32_t s = 0; s < seq; ++s) {
      const size_t i = static_cast<size_t>(b) * seq + s;
      if (w.positions != PositionIds::kAfterPadding) {
        out[i] = s;
      } else if (ids[i] != w.padding_idx) {
        out[i] = w.padding_idx + (++count);
      } else {
        out[i] = w.padding_idx;
      }
    }
  }
}

void GatherWordEmbeddings(const EmbeddingWeights& w, const int32_t* ids, int64_t tokens, float* out) {
  for (int64_t t = 0; t < tokens; ++t) w.word.Gather(ids[t], out + t * w.word.width());
}

void NormalizedEmbeddings(const EmbeddingWeights& w, const EmbeddingInput& in, const int32_t* positions, float* sum,
                          float* out, ThreadPool& pool) {
  SumEmbeddings(w, in, positions, sum);
  if (w.norm.gamma.empty()) {
    if (out != sum) std::memcpy(out, sum, sizeof(float) * static_cast<size_t>(in.batch) * in.seq * w.word.width());
    return;
  }
  LayerNormForward(w.norm, sum, out, in.batch * in.seq, w.word.width(), pool);
  if (w.zero_padded_rows && in.mask != nullptr) ZeroMaskedRows(in.mask, static_cast<int64_t>(in.batch) * in.seq, w.word.width(), out);
}

void EmbeddingsForward(const EmbeddingWeights& w, const EmbeddingInput& in, float* out, const EmbeddingBuffers& buffers,
                       EmbeddingTape* tape, ThreadPool& pool) {
  const int32_t m = in.batch * in.seq;
  ComputePositionIds(w, in.ids, in.batch, in.seq, buffers.positions);
  // Without a tape the sum is normalised in place where the next step reads it.
  float* normed = !w.projection ? out : tape != nullptr && tape->normed != nullptr ? tape->normed : buffers.normed;
  float* sum = tape != nullptr ? tape->sum : normed;
  NormalizedEmbeddings(w, in, buffers.positions, sum, normed, pool);
  if (w.projection) LinearForward(*w.projection, normed, m, Activation::kNone, nullptr, out, pool, nullptr, buffers.gemm);
  if (tape != nullptr) tape->positions = buffers.positions;
}

void EmbeddingsBackward(const EmbeddingWeights& w, const BackwardWeights& bw, const EmbeddingInput& in,
                        const EmbeddingTape& tape, float* dout, float* dword, float* dnormed_out,
                        const EmbeddingBackwardBuffers& buffers, const EmbeddingGrads* grads, ThreadPool& pool) {
  const int32_t m = in.batch * in.seq, e = w.word.width();
  float* dnormed = dout;  // the gradient at the LayerNorm's output
  if (w.projection) {
    if (grads != nullptr) {
      AccumulateLinearGrads(tape.normed, dout, m, w.projection->n(), e, grads->projection, pool);
    }
    dnormed = buffers.dnormed;
    LinearBackward(*bw.Transposed(*w.projection), dout, m, false, dnormed, pool, buffers.gemm);
  }
  if (w.zero_padded_rows && in.mask != nullptr) ZeroMaskedRows(in.mask, m, e, dnormed);
  if (dnormed_out != nullptr) std::memcpy(dnormed_out, dnormed, sizeof(float) * static_cast<size_t>(m) * e);
  // The sum's gradient is the word vectors' gradient (and the type and position rows').
  if (w.norm.gamma.empty()) {
    std::memcpy(dword, dnormed, sizeof(float) * static_cast<size_t>(m) * e);
  } else {
    LayerNormBackward(w.norm, tape.sum, dnormed, m, e, dword, pool, grads != nullptr ? &grads->norm : nullptr);
  }
  if (grads == nullptr) return;
  if (grads->word != nullptr && in.ids != nullptr) ScatterRows(dword, in.ids, m, e, grads->word);
  if (grads->position != nullptr && !w.position.empty()) ScatterRows(dword, tape.positions, m, e, grads->position);
  if (grads->token_type != nullptr && !w.token_type.empty()) {
    for (int32_t t = 0; t < m; ++t) {
      const int32_t type = in.type_ids != nullptr ? in.type_ids[t] : 0;
      float* dst = grads->token_type + static_cast<int64_t>(type) * e;
      for (int32_t j = 0; j < e; ++j) dst[j] += dword[static_cast<int64_t>(t) * e + j];
    }
  }
  if (grads->task_type != nullptr && !w.task_type.empty()) {
    for (int32_t t = 0; t < m; ++t) {
      const int32_t task = in.task_type_ids != nullptr ? in.task_type_ids[t] : 0;
      float* dst = grads->task_type + static_cast<int64_t>(task) * e;
      for (int32_t j = 0; j < e; ++j) dst[j] += dword[static_cast<int64_t>(t) * e + j];
    }
  }
}

}  // namespace bt
