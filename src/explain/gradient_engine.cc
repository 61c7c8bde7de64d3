#include "explain/gradient_engine.h"

#include <algorithm>
#include <cstring>

#include "models/forward.h"

namespace bt {
namespace {

// `count` copies of the sequence's ids / type ids / mask, as batch rows, and the rows the head reads.
struct Batch {
  std::vector<int32_t> ids, type_ids, mask, head_rows;
};

Batch Replicate(const SequenceInput& in, const std::vector<int32_t>& rows, int32_t count) {
  Batch b;
  for (int32_t i = 0; i < count; ++i) {
    b.ids.insert(b.ids.end(), in.ids.begin(), in.ids.end());
    b.mask.insert(b.mask.end(), in.mask.begin(), in.mask.end());
    b.type_ids.insert(b.type_ids.end(), in.type_ids.begin(), in.type_ids.end());
    for (int32_t r : rows) b.head_rows.push_back(i * in.seq + r);
  }
  return b;
}

// The model's forward on `count` embedding sets with a tape, the head on their target rows.
ForwardSpec TapedSpec(const SequenceInput& in, const float* embeddings, int32_t count, int32_t per_item,
                      const Batch& batch, const BackwardWeights* bw) {
  ForwardSpec spec;
  spec.input = EncoderInput{count, in.seq, batch.ids.data(), batch.type_ids.empty() ? nullptr : batch.type_ids.data(),
                            batch.mask.data(), embeddings};
  spec.run_head = true;
  spec.head_rows = RowSelection{batch.head_rows.data(), count * per_item};  // the first `count` items' rows
  spec.tape = true;
  spec.backward = bw;
  return spec;
}

}  // namespace

Status TargetGradients(const ModelParts& parts, Arena& arena, const BackwardWeights* bw, const SequenceInput& in,
                       const Target& target, const GradientRequest& request, std::vector<double>& values,
                       std::vector<float>* grads, ThreadPool& pool) {
  const int32_t e = parts.encoder.embedding_size;
  const int32_t n = parts.head_program.output_size();
  const std::vector<int32_t> rows = TargetRows(parts, target, in.seq);
  const int32_t per_item = static_cast<int32_t>(rows.size());
  const int32_t chunk = std::max(1, std::min(request.count, request.max_batch_tokens / std::max(1, in.seq)));
  const size_t item_floats = static_cast<size_t>(in.seq) * e;
  const size_t per_layer = static_cast<size_t>(parts.encoder.num_heads) * in.seq * in.seq;
  if (grads != nullptr && (bw == nullptr || !bw->built())) {
    return Status::Internal("explain: gradients need the backward weights");
  }
  values.assign(static_cast<size_t>(request.count), 0.0);
  if (grads != nullptr) grads->assign(static_cast<size_t>(request.count) * item_floats, 0.0f);
  const Batch full = Replicate(in, rows, chunk);
  const size_t layers = static_cast<size_t>(parts.encoder.num_layers());
  if (request.attention_probs != nullptr) request.attention_probs->assign(layers, std::vector<float>(request.count * per_layer));
  const bool attention_grads = request.attention_grads != nullptr && grads != nullptr;
  if (request.attention_grads != nullptr) {
    request.attention_grads->assign(layers, std::vector<float>(attention_grads ? request.count * per_layer : 0));
  }
  const bool embedded_grads = request.embedded_grads != nullptr && grads != nullptr;
  if (embedded_grads) request.embedded_grads->assign(static_cast<size_t>(request.count) * item_floats, 0.0f);
  std::vector<float> dhead;
  std::vector<float*> dprobs(layers);
  for (int32_t start = 0; start < request.count; start += chunk) {
    const int32_t count = std::min(chunk, request.count - start);
    const ForwardSpec spec = TapedSpec(in, request.embeddings + start * item_floats, count, per_item, full,
                                       grads != nullptr ? bw : nullptr);
    BT_ASSIGN_OR_RETURN(ForwardPass pass, RunForward(parts, spec, arena, pool));
    if (request.attention_probs != nullptr) {
      for (size_t l = 0; l < layers; ++l) {
        std::memcpy((*request.attention_probs)[l].data() + start * per_layer, pass.tape.layers[l].attention.probs,
                    sizeof(float) * count * per_layer);
      }
    }
    dhead.assign(static_cast<size_t>(count) * per_item * n, 0.0f);
    for (int32_t b = 0; b < count; ++b) {
      const size_t offset = static_cast<size_t>(b) * per_item * n;
      values[start + b] = TargetValue(parts, target, pass.head + offset, in.mask.data(), in.seq, dhead.data() + offset);
    }
    if (grads == nullptr) continue;
    BackwardRequest back;
    back.dhead = dhead.data();
    back.dword = grads->data() + start * item_floats;
    if (attention_grads) {
      for (size_t l = 0; l < layers; ++l) dprobs[l] = (*request.attention_grads)[l].data() + start * per_layer;
      back.dprobs = dprobs.data();
    }
    if (embedded_grads) back.dembedded = request.embedded_grads->data() + start * item_floats;
    BT_RETURN_IF_ERROR(RunBackward(parts, *bw, pass, back, pool));
  }
  return Status::Ok();
}

Result<std::vector<float>> TargetHeadOutput(const ModelParts& parts, Arena& arena, const SequenceInput& in,
                                            const Target& target, const float* embeddings, ThreadPool& pool) {
  const std::vector<int32_t> rows = TargetRows(parts, target, in.seq);
  const Batch batch = Replicate(in, rows, 1);
  const ForwardSpec spec = TapedSpec(in, embeddings, 1, static_cast<int32_t>(rows.size()), batch, nullptr);
  BT_ASSIGN_OR_RETURN(ForwardPass pass, RunForward(parts, spec, arena, pool));
  return std::vector<float>(pass.head, pass.head + rows.size() * parts.head_program.output_size());
}

std::vector<float> EmbeddingOutput(const EncoderWeights& w, const SequenceInput& in, const float* word_vectors,
                                   ThreadPool& pool) {
  const EmbeddingInput input{1, in.seq, in.ids.data(), in.type_ids.empty() ? nullptr : in.type_ids.data(), word_vectors};
  std::vector<int32_t> positions(static_cast<size_t>(in.seq));
  ComputePositionIds(w.embeddings, in.ids.data(), 1, in.seq, positions.data());
  std::vector<float> sum(static_cast<size_t>(in.seq) * w.embedding_size), out(sum.size());
  NormalizedEmbeddings(w.embeddings, input, positions.data(), sum.data(), out.data(), pool);
  return out;
}

}  // namespace bt
