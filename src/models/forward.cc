#include "models/forward.h"

#include <algorithm>
#include <cstring>

#include "models/backward_weights.h"

namespace bt {
namespace {

// Every buffer of one run, as laid out in the arena (see ForwardArenaBytes).
struct Plan {
  float* hidden = nullptr;
  float* mean = nullptr;  // [batch, H] a mean-pooling head's input
  EncoderBuffers encoder;
  HeadBuffers head, pooler;
  Tape tape;
  BackwardBuffers backward;
};

int32_t Rows(const RowSelection& s) { return s.count; }

// out[b] = Σ_t mask·hidden[b, t] / Σ_t mask (a sequence without unmasked rows gives NaN, as in Hugging Face).
void MeanPool(const float* hidden, const int32_t* mask, int32_t batch, int32_t seq, int32_t h, float* out) {
  for (int32_t b = 0; b < batch; ++b) {
    float* o = out + static_cast<size_t>(b) * h;
    std::fill(o, o + h, 0.0f);
    float count = 0.0f;
    for (int32_t t = 0; t < seq; ++t) {
      if (mask[b * seq + t] == 0) continue;
      count += 1.0f;
      const float* row = hidden + (static_cast<size_t>(b) * seq + t) * h;
      for (int32_t j = 0; j < h; ++j) o[j] += row[j];
    }
    for (int32_t j = 0; j < h; ++j) o[j] /= count;
  }
}

// The largest kernel scratch any linear of the run needs (the calls run one after another).
uint64_t GemmScratchBytes(const ModelParts& parts, const ForwardSpec& spec, int32_t m) {
  const EncoderWeights& w = parts.encoder;
  uint64_t bytes = 0;
  auto need = [&](const Linear& l, int32_t rows) {
    if (l) bytes = std::max<uint64_t>(bytes, LinearScratchBytes(*l, rows));
  };
  need(w.embeddings.projection, m);
  for (const EncoderLayerWeights& layer : w.layers) {
    for (const Linear* l : {&layer.attention.qkv, &layer.attention.output, &layer.ffn.in, &layer.ffn.out}) need(*l, m);
    need(layer.attention.xlnet.r, 2 * spec.input.seq);
  }
  if (spec.run_head) {
    for (const HeadStep& step : parts.head_program.steps) need(step.linear, Rows(spec.head_rows));
  }
  if (spec.run_pooler) {
    for (const HeadStep& step : parts.pooler.steps) need(step.linear, Rows(spec.pooler_rows));
  }
  if (spec.tape && spec.backward != nullptr) {
    const BackwardWeights& bw = *spec.backward;
    auto transposed = [&](const Linear& l) {
      if (!l) return;
      if (const PackedLinear* t = bw.Transposed(*l)) bytes = std::max<uint64_t>(bytes, LinearScratchBytes(*t, m));
    };
    transposed(w.embeddings.projection);
    for (const EncoderLayerWeights& layer : w.layers) {
      for (const Linear* l : {&layer.attention.qkv, &layer.attention.output, &layer.ffn.in, &layer.ffn.out}) {
        transposed(*l);
      }
    }
  }
  return bytes;
}

// Lays out every region of a run, in one fixed order: measuring with a measuring layout, placing
// with one over the reserved arena (core/arena.h).
Plan Layout(ArenaLayout& a, const ModelParts& parts, const ForwardSpec& spec, const ThreadPool& pool) {
  const EncoderWeights& w = parts.encoder;
  const int32_t batch = spec.input.batch, seq = spec.input.seq, m = batch * seq;
  const int64_t h = w.hidden_size, e = w.embedding_size;
  int64_t inter = w.intermediate_size;  // the widest feed-forward inner buffer (a gated one is 2I)
  bool pre_norm = false;
  for (const EncoderLayerWeights& layer : w.layers) {
    if (layer.ffn.in) inter = std::max<int64_t>(inter, layer.ffn.in->n());
    pre_norm = pre_norm || layer.norm == NormPlacement::kPreNorm;
  }
  const bool final_norm = !w.final_norm.gamma.empty();
  const bool projection = static_cast<bool>(w.embeddings.projection);
  const bool params = spec.tape && spec.tape_contents == TapeContents::kParameterGradients;
  const bool pruned = spec.last_layer_rows != nullptr && !spec.tape && spec.all_hidden == nullptr &&
                      spec.attentions == nullptr;
  Plan p;
  p.hidden = spec.hidden != nullptr ? spec.hidden : a.Take<float>(m * h);

  // Activations, reused by every layer (with a tape, what the tape keeps is written there instead).
  p.encoder.embeddings.positions = a.Take<int32_t>(m);
  if (projection) p.encoder.embeddings.normed = a.Take<float>(m * e);
  EncoderLayerBuffers& layer = p.encoder.layer;
  // Untaped layers below a partial tape still need the inference buffers.
  const bool untaped_layers = !spec.tape || spec.tape_from_layer > 0;
  if (untaped_layers) layer.attention.qkv = a.Take<float>(m * 3 * h);
  if (!params || untaped_layers) layer.attention.context = a.Take<float>(m * h);
  if (!w.layers.empty()) {
    layer.attention.scratch =
        a.Take<float>(AttentionScratchFloats(SelfAttentionShape(w.layers[0].attention, batch, seq), pool));
  }
  if (pruned) layer.query_input = a.Take<float>(2 * static_cast<int64_t>(spec.last_layer_count) * h);
  if (w.relative_positions) {
    p.encoder.positional = a.Take<float>(2 * static_cast<int64_t>(seq) * h);
    layer.attention.relative = a.Take<float>(2 * static_cast<int64_t>(seq) * h);
  }
  layer.sum = a.Take<float>(m * h);
  if (!params || untaped_layers) layer.ffn.inner = a.Take<float>(m * inter);

  // The heads' alternating buffers.
  if (spec.run_head && parts.head_program.sequence_row == SequenceRow::kMean) p.mean = a.Take<float>(batch * h);
  if (spec.run_head) {
    const int64_t width = parts.head_program.max_width(w.hidden_size);
    p.head.a = a.Take<float>(Rows(spec.head_rows) * width);
    p.head.b = a.Take<float>(Rows(spec.head_rows) * width);
  }
  if (spec.run_pooler) {
    const int64_t width = parts.pooler.max_width(w.hidden_size);
    p.pooler.a = a.Take<float>(Rows(spec.pooler_rows) * width);
    p.pooler.b = a.Take<float>(Rows(spec.pooler_rows) * width);
  }

  const uint64_t gemm_bytes = GemmScratchBytes(parts, spec, m);
  const LinearScratch gemm{a.Take<std::byte>(static_cast<int64_t>(gemm_bytes)), static_cast<size_t>(gemm_bytes)};
  p.encoder.embeddings.gemm = layer.attention.gemm = layer.ffn.gemm = p.head.gemm = p.pooler.gemm = gemm;

  if (spec.tape) {
    Tape& t = p.tape;
    t.contents = spec.tape_contents;
    t.first_layer = std::clamp(spec.tape_from_layer, 0, w.num_layers());
    if (t.first_layer == 0) {
      t.embeddings.sum = a.Take<float>(m * e);
      if (params && projection) t.embeddings.normed = a.Take<float>(m * e);
    }
    t.layers.resize(static_cast<size_t>(w.num_layers()));
    if (final_norm) t.final_input = a.Take<float>(m * h);
    for (int32_t l = t.first_layer; l < w.num_layers(); ++l) {
      LayerTape& lt = t.layers[static_cast<size_t>(l)];
      if (params || pre_norm) lt.input = a.Take<float>(m * h);
      if (params && pre_norm) lt.attention_in = a.Take<float>(m * h);
      lt.attention.qkv = a.Take<float>(m * 3 * h);
      lt.attention.probs = a.Take<float>(static_cast<int64_t>(batch) * w.num_heads * seq * seq);
      if (params) lt.attention.context = a.Take<float>(m * h);
      lt.attention_sum = a.Take<float>(m * h);
      if (params) lt.attention_out = a.Take<float>(m * h);
      lt.ffn.pre = a.Take<float>(m * inter);
      if (params) lt.ffn.act = a.Take<float>(m * inter);
      lt.ffn_sum = a.Take<float>(m * h);
    }
    if (spec.run_head) {
      const int64_t rows = Rows(spec.head_rows);
      if (spec.head_rows.rows != nullptr) t.head.gathered = a.Take<float>(rows * h);
      t.head.steps.resize(parts.head_program.steps.size());
      if (spec.dropout.classifier > 0.0f) {
        t.head.dropout = spec.dropout.classifier;
        t.head.dropout_key = spec.dropout.key;
        t.head.dropped = a.Take<float>(rows * parts.head_program.max_width(w.hidden_size));
      }
      int64_t width = h;
      for (size_t i = 0; i < parts.head_program.steps.size(); ++i) {
        const HeadStep& step = parts.head_program.steps[i];
        if (step.linear) {
          width = step.linear->n();
          if (step.activation != Activation::kNone) t.head.steps[i].pre = a.Take<float>(rows * width);
        }
        t.head.steps[i].out = a.Take<float>(rows * width);
      }
    }
  }

  if (spec.tape && spec.backward != nullptr) {
    BackwardBuffers& b = p.backward;
    b.dhidden = a.Take<float>(m * h);
    if (spec.run_head) {
      const int64_t rows = Rows(spec.head_rows), width = parts.head_program.max_width(w.hidden_size);
      b.drows = a.Take<float>(rows * h);
      b.head.a = a.Take<float>(rows * width);
      b.head.b = a.Take<float>(rows * width);
    }
    b.encoder.layer.dsum = a.Take<float>(m * h);
    b.encoder.layer.attention.dcontext = a.Take<float>(m * h);
    b.encoder.layer.attention.dqkv = a.Take<float>(m * 3 * h);
    b.encoder.layer.ffn.dinner = a.Take<float>(m * inter);
    if (projection) b.encoder.embeddings.dnormed = a.Take<float>(m * e);
    if (w.relative_positions) {
      b.encoder.layer.attention.relative = a.Take<float>(2 * static_cast<int64_t>(seq) * h);
      b.encoder.positional = p.encoder.positional;
    }
    b.head.gemm = b.encoder.layer.attention.gemm = b.encoder.layer.ffn.gemm = b.encoder.embeddings.gemm = gemm;
  }
  return p;
}

}  // namespace

uint64_t ForwardArenaBytes(const ModelParts& parts, const ForwardSpec& spec, const ThreadPool& pool) {
  ArenaLayout measure;
  Layout(measure, parts, spec, pool);
  return measure.bytes();
}

Result<ForwardPass> RunForward(const ModelParts& parts, const ForwardSpec& spec, Arena& arena, ThreadPool& pool) {
  const EncoderWeights& w = parts.encoder;
  const uint64_t bytes = ForwardArenaBytes(parts, spec, pool);
  if (!arena.Reserve(bytes)) {
    return Status::OutOfMemory("forward: out of memory reserving " + std::to_string(bytes) + " bytes of working memory");
  }
  ArenaLayout place(arena);
  Plan plan = Layout(place, parts, spec, pool);
  const int32_t m = spec.input.batch * spec.input.seq;
  const bool pruned = spec.last_layer_rows != nullptr && !spec.tape && spec.all_hidden == nullptr &&
                      spec.attentions == nullptr;
  EncoderOutput out{plan.hidden, spec.all_hidden, spec.attentions};
  if (pruned) {
    out.last_layer_rows = spec.last_layer_rows;
    out.last_layer_count = spec.last_layer_count;
  }
  ForwardPass pass;
  pass.tape = std::move(plan.tape);
  EncoderForward(w, spec.input, out, plan.encoder, spec.tape ? &pass.tape : nullptr, pool,
                 spec.tape ? &spec.dropout : nullptr);
  pass.rows = pruned ? spec.last_layer_count : m;
  pass.hidden = plan.hidden;
  const auto input = [&](const RowSelection& s) { return HeadInput{plan.hidden, w.hidden_size, s.rows, s.count}; };
  if (spec.run_pooler) pass.pooled = HeadForward(parts.pooler, input(spec.pooler_rows), plan.pooler, nullptr, pool);
  if (spec.run_head) {
    HeadInput head_input = input(spec.head_rows);
    if (plan.mean != nullptr) {  // mean over each sequence's unmasked rows (Hugging Face: sum(h·mask) / sum(mask))
      MeanPool(plan.hidden, spec.input.mask, spec.input.batch, spec.input.seq, w.hidden_size, plan.mean);
      head_input = HeadInput{plan.mean, w.hidden_size, nullptr, spec.input.batch};
    }
    pass.head = HeadForward(parts.head_program, head_input, plan.head, spec.tape ? &pass.tape.head : nullptr, pool);
    pass.head_rows = spec.head_rows;
  }
  pass.backward = plan.backward;
  return pass;
}

Status RunBackward(const ModelParts& parts, const BackwardWeights& bw, const ForwardPass& pass,
                   const BackwardRequest& request, ThreadPool& pool) {
  const BackwardBuffers& b = pass.backward;
  if (b.dhidden == nullptr || b.drows == nullptr) {
    return Status::Internal("backward: the forward pass was not planned with a tape and the backward weights");
  }
  const int32_t h = parts.encoder.hidden_size;
  const size_t m = static_cast<size_t>(pass.tape.batch) * pass.tape.seq;
  HeadBackward(parts.head_program, pass.tape.head, request.dhead, b.drows, b.head, request.head_grads, pool);
  // The head read some rows of the last hidden state: their gradients, the other rows' zero.
  std::fill(b.dhidden, b.dhidden + m * h, 0.0f);
  if (parts.head_program.sequence_row == SequenceRow::kMean) {  // each unmasked row gets 1/count of its sequence's
    const int32_t seq = pass.tape.seq;
    for (int32_t s = 0; s < pass.tape.batch; ++s) {
      int32_t count = 0;
      for (int32_t t = 0; t < seq; ++t) count += pass.tape.mask[s * seq + t] != 0;
      for (int32_t t = 0; t < seq && count > 0; ++t) {
        if (pass.tape.mask[s * seq + t] == 0) continue;
        float* dst = b.dhidden + (static_cast<size_t>(s) * seq + t) * h;
        const float* src = b.drows + static_cast<size_t>(s) * h;
        for (int32_t j = 0; j < h; ++j) dst[j] += src[j] / static_cast<float>(count);
      }
    }
  }
  for (int32_t i = 0; i < pass.head_rows.count && parts.head_program.sequence_row != SequenceRow::kMean; ++i) {
    const size_t row = pass.head_rows.rows != nullptr ? pass.head_rows.rows[i] : i;
    float* dst = b.dhidden + row * h;
    const float* src = b.drows + static_cast<size_t>(i) * h;
    for (int32_t j = 0; j < h; ++j) dst[j] += src[j];
  }
  return EncoderBackward(parts.encoder, bw, pass.tape, b.dhidden, request.dword, request.dprobs, request.dembedded,
                         b.encoder, request.grads, pool);
}

}  // namespace bt
