// Internal to src/train: what a Trainer holds (parameters, the packed units swapped into the model,
// gradients, arenas) and the helpers its .cc files share. Not part of the engine's interface.
//   trainer_create.cc  — Create: which tensors train, initialised as HF / PEFT do
//   trainer.cc         — the run paths: inputs, head-only / full forward + backward, AdamW update
//   trainer_export.cc  — Tensors (HF names, LoRA merged), State / LoadState (resume)
//   trainer_options.cc — the options JSON
//   trainer_impl.cc    — Impl: swap, packing (LoRA merge), LoRA gradients
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/arena.h"
#include "models/backward_weights.h"
#include "models/forward.h"
#include "models/model.h"
#include "train/optimizer.h"
#include "train/rng.h"
#include "train/trainer.h"

namespace bt {
namespace train_internal {

inline constexpr uint32_t kStateMagic = 0x53545442;  // "BTTS"
inline constexpr uint32_t kStateVersion = 1;

struct Param {
  std::string name;  // HF name (the fused q|k|v: "<layer>.attention.qkv.weight|bias", shown as 3 tensors)
  std::vector<int64_t> shape;
  std::vector<float> value, grad, m, v;
  bool decay = false;
  bool head = false;  // a head tensor (optimizer.head_lr)
  int64_t size() const { return static_cast<int64_t>(value.size()); }
};

// An HF tensor that is (part of) a parameter.
struct View {
  std::string name;
  int32_t param = -1;
  int64_t offset = 0;
  std::vector<int64_t> shape;
  int64_t size() const {
    int64_t s = 1;
    for (int64_t d : shape) s *= d;
    return s;
  }
};

// A LoRA adapter on rows [row0, row0 + rows) of a linear's weight [n, k]: A [r, k], B [rows, r].
struct Adapter {
  int32_t a = -1, b = -1;  // parameters
  int32_t row0 = 0, rows = 0;
};

// A trained linear layer: its packed form built from the parameters (or, with LoRA, from the frozen
// base plus s·B·A on the adapted rows: query / key / value of the fused q|k|v, or a whole dense layer).
struct LinearUnit {
  Linear* slot = nullptr;  // where it runs: the model's slot (swapped) or the trainer's head (owned)
  bool owned = false;
  Linear mine;             // the trainer's packed copy while not swapped in (not owned)
  bool transposed = false; // the backward needs Wᵀ (encoder linears)
  int32_t n = 0, k = 0;
  int32_t w = -1, b = -1;  // parameters
  // LoRA: frozen base, dW of the merged weight, the adapters (q|k|v: query rows 0..H, key H..2H, value 2H..3H).
  std::vector<float> base_w, base_b, dw;
  std::vector<Adapter> adapters;
};

struct NormUnit {
  LayerNormWeights* slot = nullptr;
  LayerNormWeights mine;
  int32_t gamma = -1, beta = -1;
};

struct VectorUnit {
  std::vector<float>* slot = nullptr;
  std::vector<float> mine;
  int32_t p = -1;
};

struct TableUnit {
  EmbeddingTable* slot = nullptr;
  EmbeddingTable mine;
  int32_t p = -1, rows = 0, width = 0;
};

inline uint64_t VectorBytes(const std::vector<float>& v) { return v.capacity() * sizeof(float); }

// Unpacks a packed linear into W [n, k] and b [n].
void Unpack(const PackedLinear& l, std::vector<float>& w, std::vector<float>& b);

// count values ~ normal(0, std) from rng (HF's _init_weights for Linear weights).
std::vector<float> NormalInit(TrainRng& rng, int64_t count, double std);

}  // namespace train_internal

struct Trainer::Impl {
  using Param = train_internal::Param;
  using View = train_internal::View;
  using LinearUnit = train_internal::LinearUnit;
  using NormUnit = train_internal::NormUnit;
  using VectorUnit = train_internal::VectorUnit;
  using TableUnit = train_internal::TableUnit;
  using Adapter = train_internal::Adapter;

  Model* model = nullptr;
  ModelParts* parts = nullptr;
  const ArchitectureSpec* spec = nullptr;
  std::string prefix;  // "<model_type>."
  std::vector<Param> params;
  std::vector<View> views;
  std::vector<LinearUnit> linears;
  std::vector<NormUnit> norms;
  std::vector<VectorUnit> vectors;
  std::vector<TableUnit> tables;
  HeadProgram head;
  std::vector<std::string> head_names;  // per head step: the HF module name
  HeadGrads head_grads;
  std::vector<EncoderLayerGrads> layer_grads;
  EmbeddingGrads embedding_grads;
  EncoderGrads encoder_grads;
  int32_t first_layer = 0;  // the lowest applied layer the backward reaches
  BackwardWeights bw;
  Arena arena, head_arena;
  TrainRng rng{42};
  bool swapped = false;
  std::vector<int32_t> ones, rows;
  std::vector<float> dlogits, dword;

  int32_t AddParam(std::string name, std::vector<int64_t> shape, std::vector<float> value, bool decay) {
    Param p;
    p.name = std::move(name);
    p.shape = std::move(shape);
    p.value = std::move(value);
    p.grad.assign(p.value.size(), 0.0f);
    p.m.assign(p.value.size(), 0.0f);
    p.v.assign(p.value.size(), 0.0f);
    p.decay = decay;
    params.push_back(std::move(p));
    return static_cast<int32_t>(params.size() - 1);
  }
  void AddView(std::string name, int32_t param, int64_t offset, std::vector<int64_t> shape) {
    views.push_back(View{std::move(name), param, offset, std::move(shape)});
  }
  const View* FindView(const std::string& name) const {
    for (const View& v : views) {
      if (v.name == name) return &v;
    }
    return nullptr;
  }

  void Swap() {
    for (LinearUnit& u : linears) {
      if (!u.owned) std::swap(*u.slot, u.mine);
    }
    for (NormUnit& u : norms) std::swap(*u.slot, u.mine);
    for (VectorUnit& u : vectors) std::swap(*u.slot, u.mine);
    for (TableUnit& u : tables) std::swap(*u.slot, u.mine);
    if (parts != nullptr) std::swap(parts->head_program, head);
    swapped = !swapped;
  }

  // Packs a linear unit from its parameters (LoRA: the merged weight).
  Status SyncLinear(LinearUnit& u);

  // Repacks every unit from the parameters (after an optimizer step or a LoadState).
  Status SyncAll();

  double lora_scaling = 0;

  void ZeroGrads() {
    for (Param& p : params) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
    for (LinearUnit& u : linears) std::fill(u.dw.begin(), u.dw.end(), 0.0f);
  }

  // LoRA: from dW of a merged weight, dA = s·Bᵀ·dW_rows and dB = s·dW_rows·Aᵀ.
  void LoraGrads();

  std::vector<OptimizerTensor> OptimizerTensors() {
    std::vector<OptimizerTensor> out;
    for (Param& p : params) {
      out.push_back({p.value.data(), p.grad.data(), p.m.data(), p.v.data(), p.size(), p.decay, p.head});
    }
    return out;
  }
};

namespace train_internal {

// Swaps the trainer's packed objects into the model for the duration of one call.
class SwapGuard {
 public:
  explicit SwapGuard(Trainer::Impl& impl) : impl_(impl) { impl_.Swap(); }
  ~SwapGuard() { impl_.Swap(); }

 private:
  Trainer::Impl& impl_;
};

}  // namespace train_internal
}  // namespace bt
