#include "explain/gradient_engine.h"

#include <algorithm>
#include <cstring>

#include "explain/encoder_backward.h"
#include "explain/forward_trace.h"
#include "explain/head_backward.h"

namespace bt {
namespace {

// `count` copies of the sequence's ids / type ids / mask, as batch rows.
struct Batch {
  std::vector<int32_t> ids, type_ids, mask;
};

Batch Replicate(const SequenceInput& in, int32_t count) {
  Batch b;
  for (int32_t i = 0; i < count; ++i) {
    b.ids.insert(b.ids.end(), in.ids.begin(), in.ids.end());
    b.mask.insert(b.mask.end(), in.mask.begin(), in.mask.end());
    b.type_ids.insert(b.type_ids.end(), in.type_ids.begin(), in.type_ids.end());
  }
  return b;
}

// Runs `count` embedding sets through the traced encoder and the head on their target rows.
void TraceChunk(const ModelParts& parts, const SequenceInput& in, const Target& target, const float* embeddings,
                int32_t count, const Batch& batch, EncoderTrace& trace, HeadTrace& head, ThreadPool& pool) {
  TraceInput ti;
  ti.batch = count;
  ti.seq = in.seq;
  ti.word_embeddings = embeddings;
  ti.ids = batch.ids.data();
  ti.type_ids = batch.type_ids.empty() ? nullptr : batch.type_ids.data();
  ti.mask = batch.mask.data();
  TraceEncoder(parts.encoder, ti, trace, pool);
  const std::vector<int32_t> rows = TargetRows(parts, target, in.seq);
  std::vector<int32_t> all_rows;
  for (int32_t b = 0; b < count; ++b) {
    for (int32_t r : rows) all_rows.push_back(b * in.seq + r);
  }
  TraceHead(parts.head_program, trace.hidden.data(), parts.encoder.hidden_size, all_rows, head, pool);
}

}  // namespace

Status TargetGradients(const ModelParts& parts, const BackwardWeights* bw, const SequenceInput& in,
                       const Target& target, const GradientRequest& request, std::vector<double>& values,
                       std::vector<float>* grads, ThreadPool& pool) {
  const int32_t e = parts.encoder.embedding_size, h = parts.encoder.hidden_size;
  const int32_t n = parts.head_program.output_size();
  const std::vector<int32_t> rows = TargetRows(parts, target, in.seq);
  const int32_t per_item = static_cast<int32_t>(rows.size());
  const int32_t chunk = std::max(1, std::min(request.count, request.max_batch_tokens / std::max(1, in.seq)));
  const size_t item_floats = static_cast<size_t>(in.seq) * e;
  values.assign(static_cast<size_t>(request.count), 0.0);
  if (grads != nullptr) grads->assign(static_cast<size_t>(request.count) * item_floats, 0.0f);
  const Batch full = Replicate(in, chunk);
  const size_t layers = static_cast<size_t>(parts.encoder.num_layers());
  if (request.attention_probs != nullptr) request.attention_probs->assign(layers, {});
  if (request.attention_grads != nullptr) request.attention_grads->assign(layers, {});
  if (request.embedded_grads != nullptr && grads != nullptr) {
    request.embedded_grads->assign(static_cast<size_t>(request.count) * item_floats, 0.0f);
  }
  for (int32_t start = 0; start < request.count; start += chunk) {
    const int32_t count = std::min(chunk, request.count - start);
    EncoderTrace trace;
    HeadTrace head;
    TraceChunk(parts, in, target, request.embeddings + start * item_floats, count, full, trace, head, pool);
    if (request.attention_probs != nullptr) {
      for (size_t l = 0; l < layers; ++l) {
        const std::vector<float>& p = trace.layers[l].probs;
        (*request.attention_probs)[l].insert((*request.attention_probs)[l].end(), p.begin(), p.end());
      }
    }
    std::vector<float> dhead(head.output.size(), 0.0f);
    for (int32_t b = 0; b < count; ++b) {
      const size_t offset = static_cast<size_t>(b) * per_item * n;
      values[start + b] = TargetValue(parts, target, head.output.data() + offset, in.mask.data(), in.seq,
                                      dhead.data() + offset);
    }
    if (grads == nullptr) continue;
    if (bw == nullptr || !bw->built()) return Status::Internal("explain: gradients need the backward weights");
    std::vector<float> drows, dhidden(static_cast<size_t>(count) * in.seq * h, 0.0f), dword;
    HeadBackward(parts.head_program, head, dhead.data(), drows, pool);
    for (int32_t b = 0; b < count; ++b) {
      for (int32_t i = 0; i < per_item; ++i) {
        float* dst = dhidden.data() + (static_cast<size_t>(b) * in.seq + rows[i]) * h;
        const float* src = drows.data() + (static_cast<size_t>(b) * per_item + i) * h;
        for (int32_t j = 0; j < h; ++j) dst[j] += src[j];
      }
    }
    std::vector<std::vector<float>> dprobs;
    std::vector<float> dembedded;
    BT_RETURN_IF_ERROR(EncoderBackward(parts.encoder, *bw, trace, dhidden, dword, pool,
                                       request.attention_grads != nullptr ? &dprobs : nullptr,
                                       request.embedded_grads != nullptr ? &dembedded : nullptr));
    std::memcpy(grads->data() + start * item_floats, dword.data(), sizeof(float) * count * item_floats);
    if (request.embedded_grads != nullptr) {
      std::memcpy(request.embedded_grads->data() + start * item_floats, dembedded.data(),
                  sizeof(float) * count * item_floats);
    }
    if (request.attention_grads != nullptr) {
      for (size_t l = 0; l < layers; ++l) {
        (*request.attention_grads)[l].insert((*request.attention_grads)[l].end(), dprobs[l].begin(), dprobs[l].end());
      }
    }
  }
  return Status::Ok();
}

std::vector<float> TargetHeadOutput(const ModelParts& parts, const SequenceInput& in, const Target& target,
                                    const float* embeddings, ThreadPool& pool) {
  EncoderTrace trace;
  HeadTrace head;
  TraceChunk(parts, in, target, embeddings, 1, Replicate(in, 1), trace, head, pool);
  return head.output;
}

}  // namespace bt
