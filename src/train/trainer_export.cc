// The trainer's results: Tensors (the model in Hugging Face's names, LoRA merged) and the resume state
// (State / LoadState: step, RNG, every trained value and AdamW moment, checked against the options).
#include <cstring>

#include "models/architecture.h"
#include "train/loss.h"
#include "train/trainer_impl.h"

namespace bt {

using train_internal::kStateMagic;
using train_internal::kStateVersion;
using train_internal::Param;
using train_internal::SwapGuard;
using train_internal::Unpack;

Result<std::vector<NamedTensor>> Trainer::Tensors(bool trained_only) const {
  Impl& im = *impl_;
  std::vector<NamedTensor> out;
  auto emit = [&](std::string name, std::vector<int64_t> shape, std::vector<float> data) {
    out.push_back(NamedTensor{std::move(name), std::move(shape), std::move(data)});
  };
  auto emit_linear = [&](const std::string& name, const PackedLinear& l) {
    std::vector<float> w, b;
    Unpack(l, w, b);
    emit(name + ".weight", {l.n(), l.k()}, std::move(w));
    emit(name + ".bias", {l.n()}, std::move(b));
  };
  auto emit_norm = [&](const std::string& name, const LayerNormWeights& n) {
    const int64_t size = static_cast<int64_t>(n.gamma.size());
    emit(name + ".weight", {size}, n.gamma);
    emit(name + ".bias", {size}, n.beta);
  };
  SwapGuard guard(im);
  if (im.parts != nullptr) {
    const EncoderWeights& enc = im.parts->encoder;
    const int32_t h = enc.hidden_size, e = enc.embedding_size;
    const TrainerOptions& o = options_;
    if (!trained_only || o.embeddings) {
      const EmbeddingWeights& E = enc.embeddings;
      const std::string ep = im.prefix + "embeddings.";
      std::vector<float> word(static_cast<size_t>(enc.vocab_size) * e);
      for (int32_t i = 0; i < enc.vocab_size; ++i) E.word.Gather(i, word.data() + static_cast<size_t>(i) * e);
      emit(ep + "word_embeddings.weight", {enc.vocab_size, e}, std::move(word));
      emit(ep + "position_embeddings.weight", {enc.max_positions, e}, E.position);
      if (!E.token_type.empty()) emit(ep + "token_type_embeddings.weight", {enc.type_vocab_size, e}, E.token_type);
      emit_norm(ep + "LayerNorm", E.norm);
      if (E.projection) emit_linear(im.prefix + im.spec->embedding_projection, *E.projection);
    }
    const LayerSpec& ls = im.spec->layers;
    const LayerNames& nm = ls.names;
    const int32_t distinct = static_cast<int32_t>(enc.layers.size());
    auto adapted = [&](const Linear* slot, int32_t row0) {  // LoRA: does the linear carry an adapter at row0?
      for (const auto& u : im.linears) {
        if (u.slot != slot) continue;
        for (const auto& a : u.adapters) {
          if (a.row0 == row0) return true;
        }
      }
      return false;
    };
    for (int32_t d = 0; d < distinct; ++d) {
      const bool trained = im.encoder_grads.layers[d] != nullptr;
      if (trained_only && !trained) continue;
      const bool lora_only = o.lora_r > 0;
      const EncoderLayerWeights& L = enc.layers[d];
      const std::string lp = im.prefix + ls.path + "." + std::to_string(d) +
                             (ls.sharing == LayerSharing::kAlbertGroups ? ".albert_layers.0." : ".");
      std::vector<float> w, b;
      Unpack(*L.attention.qkv, w, b);
      for (int32_t part = 0; part < 3; ++part) {
        if (trained_only && lora_only && !adapted(&L.attention.qkv, part * h)) continue;  // no adapter: unchanged
        const char* which = part == 0 ? nm.query : part == 1 ? nm.key : nm.value;
        const size_t hh = static_cast<size_t>(h) * h;
        emit(lp + which + ".weight", {h, h}, std::vector<float>(w.begin() + part * hh, w.begin() + (part + 1) * hh));
        emit(lp + which + ".bias", {h}, std::vector<float>(b.begin() + part * h, b.begin() + (part + 1) * h));
      }
      if (trained_only && lora_only) {
        if (adapted(&L.attention.output, 0)) emit_linear(lp + nm.attention_output, *L.attention.output);
        if (adapted(&L.ffn.in, 0)) emit_linear(lp + nm.ffn_in, *L.ffn.in);
        if (adapted(&L.ffn.out, 0)) emit_linear(lp + nm.ffn_out, *L.ffn.out);
        continue;
      }
      emit_linear(lp + nm.attention_output, *L.attention.output);
      emit_norm(lp + nm.attention_norm, L.attention_norm);
      emit_linear(lp + nm.ffn_in, *L.ffn.in);
      emit_linear(lp + nm.ffn_out, *L.ffn.out);
      emit_norm(lp + nm.ffn_norm, L.ffn_norm);
    }
  }
  const HeadProgram& head = im.parts != nullptr ? im.parts->head_program : im.head;
  for (size_t i = 0; i < head.steps.size(); ++i) emit_linear(im.head_names[i], *head.steps[i].linear);
  return out;
}

// State: magic, version, a fingerprint of the options, step, RNG, then every parameter's value, m, v.
std::vector<uint8_t> Trainer::State() const {
  const Impl& im = *impl_;
  std::vector<uint8_t> out;
  auto put = [&](const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  };
  auto put64 = [&](uint64_t v) { put(&v, sizeof v); };
  put64(kStateMagic);
  put64(kStateVersion);
  put64(im.params.size());
  for (const Param& p : im.params) put64(static_cast<uint64_t>(p.size()));
  put64(static_cast<uint64_t>(step_));
  put64(im.rng.state());
  for (const Param& p : im.params) {
    put(p.value.data(), p.value.size() * sizeof(float));
    put(p.m.data(), p.m.size() * sizeof(float));
    put(p.v.data(), p.v.size() * sizeof(float));
  }
  return out;
}

Status Trainer::LoadState(const uint8_t* data, size_t size) {
  Impl& im = *impl_;
  size_t at = 0;
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("trainer state: " + what).WithDetails(FieldDetails("state"));
  };
  auto get = [&](void* p, size_t n) {
    if (size - at < n) return false;
    std::memcpy(p, data + at, n);
    at += n;
    return true;
  };
  uint64_t magic = 0, version = 0, count = 0;
  if (!get(&magic, 8) || magic != kStateMagic) return bad("not a trainer state");
  if (!get(&version, 8) || version != kStateVersion) return bad("unknown version");
  if (!get(&count, 8) || count != im.params.size()) return bad("made by a trainer with other options (tensor count)");
  for (const Param& p : im.params) {
    uint64_t n = 0;
    if (!get(&n, 8) || n != static_cast<uint64_t>(p.size())) return bad("made by a trainer with other options (tensor size)");
  }
  uint64_t step = 0, rng = 0;
  if (!get(&step, 8) || !get(&rng, 8)) return bad("truncated");
  const size_t need = size - at;
  size_t expected = 0;
  for (const Param& p : im.params) expected += 3 * p.value.size() * sizeof(float);
  if (need != expected) return bad("truncated or too long (" + std::to_string(need) + " bytes of tensors, " + std::to_string(expected) + " expected)");
  for (Param& p : im.params) {
    get(p.value.data(), p.value.size() * sizeof(float));
    get(p.m.data(), p.m.size() * sizeof(float));
    get(p.v.data(), p.v.size() * sizeof(float));
  }
  step_ = static_cast<int64_t>(step);
  im.rng.set_state(rng);
  return im.SyncAll();
}

}  // namespace bt
