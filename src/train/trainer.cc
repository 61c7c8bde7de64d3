#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "io/json_util.h"
#include "kernels/gemm_internal.h"
#include "kernels/gemm_unpack.h"
#include "models/architecture.h"
#include "models/forward.h"
#include "train/loss.h"

namespace bt {
namespace {

constexpr uint32_t kStateMagic = 0x53545442;  // "BTTS"
constexpr uint32_t kStateVersion = 1;

Status OptionError(const std::string& field, const std::string& what) {
  return Status::InvalidArgument("trainer options: " + field + " " + what).WithDetails(FieldDetails(field));
}

}  // namespace

namespace {
Result<TrainerOptions> ParseOptions(const std::string& json_text) {
  TrainerOptions o;
  BT_ASSIGN_OR_RETURN(Json json, ParseJson(json_text.empty() ? "{}" : json_text, "trainer options"));
  if (!json.is_object()) return OptionError("options", "must be a JSON object");
  const std::string p = "trainer options";
  BT_ASSIGN_OR_RETURN(std::string task, JsonString(json, "task", "sequence", p));
  if (task == "sequence") {
    o.task = TrainTask::kSequence;
  } else if (task == "token") {
    o.task = TrainTask::kToken;
  } else {
    return OptionError("task", "must be 'sequence' or 'token' (got '" + task + "')");
  }
  BT_ASSIGN_OR_RETURN(int64_t labels, JsonInt(json, "num_labels", 0, p));
  if (labels < 2 || labels > 1 << 20) return OptionError("num_labels", "must be an integer in [2, 1048576]");
  o.num_labels = static_cast<int32_t>(labels);
  BT_ASSIGN_OR_RETURN(int64_t layers, JsonInt(json, "layers", 0, p));
  if (layers < -1 || layers > 1 << 16) return OptionError("layers", "must be -1 (all) or a count of layers >= 0");
  o.layers = static_cast<int32_t>(layers);
  BT_ASSIGN_OR_RETURN(o.embeddings, JsonBool(json, "embeddings", false, p));
  BT_ASSIGN_OR_RETURN(o.keep_head, JsonBool(json, "keep_head", false, p));
  BT_ASSIGN_OR_RETURN(int64_t seed, JsonInt(json, "seed", 42, p));
  o.seed = static_cast<uint64_t>(seed);
  BT_ASSIGN_OR_RETURN(o.initializer_range, JsonNumber(json, "initializer_range", 0.02, p));
  if (!(o.initializer_range >= 0 && o.initializer_range < 10)) return OptionError("initializer_range", "must be in [0, 10)");
  if (const Json* lora = OptionalField(json, "lora")) {
    if (!lora->is_object()) return OptionError("lora", "must be null or {r, alpha}");
    BT_ASSIGN_OR_RETURN(int64_t r, JsonInt(*lora, "r", 8, p + ".lora"));
    if (r < 1 || r > 4096) return OptionError("lora.r", "must be an integer in [1, 4096]");
    o.lora_r = static_cast<int32_t>(r);
    BT_ASSIGN_OR_RETURN(o.lora_alpha, JsonNumber(*lora, "alpha", static_cast<double>(r), p + ".lora"));
    if (!std::isfinite(o.lora_alpha)) return OptionError("lora.alpha", "must be a finite number");
    if (o.layers != 0 || o.embeddings) {
      return OptionError("lora", "trains adapters on frozen layers: use it with layers 0 and embeddings false");
    }
  }
  if (const Json* f = OptionalField(json, "from_features")) {
    if (!f->is_object()) return OptionError("from_features", "must be null or {size}");
    BT_ASSIGN_OR_RETURN(int64_t size, JsonInt(*f, "size", 0, p + ".from_features"));
    if (size < 1 || size > 1 << 20) return OptionError("from_features.size", "must be an integer in [1, 1048576]");
    o.feature_size = static_cast<int32_t>(size);
  }
  const Json* opt = OptionalField(json, "optimizer");
  if (opt == nullptr) return OptionError("optimizer", "is required (at least {total_steps})");
  if (!opt->is_object()) return OptionError("optimizer", "must be an object");
  OptimizerOptions& oo = o.optimizer;
  const std::string q = p + ".optimizer";
  BT_ASSIGN_OR_RETURN(oo.lr, JsonNumber(*opt, "lr", oo.lr, q));
  BT_ASSIGN_OR_RETURN(oo.weight_decay, JsonNumber(*opt, "weight_decay", oo.weight_decay, q));
  BT_ASSIGN_OR_RETURN(oo.beta1, JsonNumber(*opt, "beta1", oo.beta1, q));
  BT_ASSIGN_OR_RETURN(oo.beta2, JsonNumber(*opt, "beta2", oo.beta2, q));
  BT_ASSIGN_OR_RETURN(oo.eps, JsonNumber(*opt, "eps", oo.eps, q));
  BT_ASSIGN_OR_RETURN(oo.max_grad_norm, JsonNumber(*opt, "max_grad_norm", oo.max_grad_norm, q));
  BT_ASSIGN_OR_RETURN(oo.l2, JsonNumber(*opt, "l2", oo.l2, q));
  BT_ASSIGN_OR_RETURN(oo.warmup_steps, JsonInt(*opt, "warmup_steps", 0, q));
  BT_ASSIGN_OR_RETURN(oo.total_steps, JsonInt(*opt, "total_steps", 0, q));
  if (!(std::isfinite(oo.lr) && oo.lr >= 0 && oo.lr <= 10)) return OptionError("optimizer.lr", "must be a finite number in [0, 10]");
  if (!(std::isfinite(oo.weight_decay) && oo.weight_decay >= 0 && oo.weight_decay * oo.lr < 1)) {
    return OptionError("optimizer.weight_decay", "must be finite, >= 0 and lr * weight_decay < 1");
  }
  if (!(oo.beta1 >= 0 && oo.beta1 < 1)) return OptionError("optimizer.beta1", "must be in [0, 1)");
  if (!(oo.beta2 >= 0 && oo.beta2 < 1)) return OptionError("optimizer.beta2", "must be in [0, 1)");
  if (!(std::isfinite(oo.eps) && oo.eps > 0)) return OptionError("optimizer.eps", "must be a finite number > 0");
  if (!(std::isfinite(oo.max_grad_norm) && oo.max_grad_norm >= 0)) {
    return OptionError("optimizer.max_grad_norm", "must be a finite number >= 0 (0: no clipping)");
  }
  if (!(std::isfinite(oo.l2) && oo.l2 >= 0)) return OptionError("optimizer.l2", "must be a finite number >= 0");
  if (oo.total_steps < 1) return OptionError("optimizer.total_steps", "must be an integer >= 1");
  if (oo.warmup_steps < 0 || oo.warmup_steps > oo.total_steps) {
    return OptionError("optimizer.warmup_steps", "must be in [0, total_steps]");
  }
  return o;
}
}  // namespace

// Every error in the caller's options is theirs: INVALID_ARGUMENT.
Result<TrainerOptions> ParseTrainerOptions(const std::string& json_text) {
  Result<TrainerOptions> o = ParseOptions(json_text);
  if (!o.ok()) return o.status().WithCode(StatusCode::kInvalidArgument);
  return o;
}

// ---------------------------------------------------------------------------------------------------

namespace {

struct Param {
  std::string name;  // HF name (the fused q|k|v: "<layer>.attention.qkv.weight|bias", shown as 3 tensors)
  std::vector<int64_t> shape;
  std::vector<float> value, grad, m, v;
  bool decay = false;
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

// A trained linear layer: its packed form built from the parameters (or, with LoRA, from the frozen
// base plus s·B·A on the query and value rows).
struct LinearUnit {
  Linear* slot = nullptr;  // where it runs: the model's slot (swapped) or the trainer's head (owned)
  bool owned = false;
  Linear mine;             // the trainer's packed copy while not swapped in (not owned)
  bool transposed = false; // the backward needs Wᵀ (encoder linears)
  int32_t n = 0, k = 0;
  int32_t w = -1, b = -1;  // parameters
  // LoRA (a fused q|k|v of hidden H): frozen base, adapters for query (rows 0..H) and value (2H..3H).
  std::vector<float> base_w, base_b, dw;
  int32_t aq = -1, bq = -1, av = -1, bv = -1;
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

uint64_t VectorBytes(const std::vector<float>& v) { return v.capacity() * sizeof(float); }

}  // namespace

struct Trainer::Impl {
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
  Status SyncLinear(LinearUnit& u) {
    std::vector<float> merged;
    const float* w = nullptr;
    const float* b = nullptr;
    if (u.aq >= 0) {
      merged = u.base_w;
      const int32_t h = u.k, r = static_cast<int32_t>(params[u.aq].shape[0]);
      const float s = static_cast<float>(lora_scaling);
      for (const auto [a_idx, b_idx, row0] : {std::tuple{u.aq, u.bq, 0}, std::tuple{u.av, u.bv, 2 * h}}) {
        const float* A = params[a_idx].value.data();  // [r, h]
        const float* B = params[b_idx].value.data();  // [h, r]
        for (int32_t j = 0; j < h; ++j) {
          float* row = merged.data() + static_cast<size_t>(row0 + j) * h;
          for (int32_t i = 0; i < r; ++i) {
            const float bji = s * B[static_cast<size_t>(j) * r + i];
            if (bji == 0.0f) continue;
            const float* arow = A + static_cast<size_t>(i) * h;
            for (int32_t c = 0; c < h; ++c) row[c] += bji * arow[c];
          }
        }
      }
      w = merged.data();
      b = u.base_b.data();
    } else {
      w = params[u.w].value.data();
      b = u.b >= 0 ? params[u.b].value.data() : nullptr;
    }
    Linear packed = PackLinearF32(w, b, u.n, u.k);
    if (!packed) return Status::OutOfMemory("trainer: out of memory packing a " + std::to_string(u.n) + "x" + std::to_string(u.k) + " linear");
    Linear& target = u.owned ? *u.slot : u.mine;
    if (target && u.transposed) bw.Remove(*target);
    target = std::move(packed);
    if (u.transposed) BT_RETURN_IF_ERROR(bw.Add(*target));
    return Status::Ok();
  }

  Status SyncAll() {
    for (LinearUnit& u : linears) BT_RETURN_IF_ERROR(SyncLinear(u));
    for (NormUnit& u : norms) {
      u.mine.gamma = params[u.gamma].value;
      u.mine.beta = params[u.beta].value;
    }
    for (VectorUnit& u : vectors) u.mine = params[u.p].value;
    for (TableUnit& u : tables) u.mine = EmbeddingTable(params[u.p].value, u.rows, u.width, false);
    return Status::Ok();
  }

  double lora_scaling = 0;

  void ZeroGrads() {
    for (Param& p : params) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
    for (LinearUnit& u : linears) std::fill(u.dw.begin(), u.dw.end(), 0.0f);
  }

  // LoRA: from dW of the merged q|k|v weight, dA = s·Bᵀ·dW_rows and dB = s·dW_rows·Aᵀ.
  void LoraGrads() {
    const float s = static_cast<float>(lora_scaling);
    for (LinearUnit& u : linears) {
      if (u.aq < 0) continue;
      const int32_t h = u.k, r = static_cast<int32_t>(params[u.aq].shape[0]);
      for (const auto [a_idx, b_idx, row0] : {std::tuple{u.aq, u.bq, 0}, std::tuple{u.av, u.bv, 2 * h}}) {
        const float* A = params[a_idx].value.data();
        const float* B = params[b_idx].value.data();
        float* dA = params[a_idx].grad.data();
        float* dB = params[b_idx].grad.data();
        for (int32_t j = 0; j < h; ++j) {
          const float* drow = u.dw.data() + static_cast<size_t>(row0 + j) * h;
          for (int32_t i = 0; i < r; ++i) {
            const float* arow = A + static_cast<size_t>(i) * h;
            float* darow = dA + static_cast<size_t>(i) * h;
            const float bji = s * B[static_cast<size_t>(j) * r + i];
            double dot = 0;
            for (int32_t c = 0; c < h; ++c) {
              dot += static_cast<double>(drow[c]) * arow[c];
              darow[c] += bji * drow[c];
            }
            dB[static_cast<size_t>(j) * r + i] += static_cast<float>(s * dot);
          }
        }
      }
    }
  }

  std::vector<OptimizerTensor> OptimizerTensors() {
    std::vector<OptimizerTensor> out;
    for (Param& p : params) out.push_back({p.value.data(), p.grad.data(), p.m.data(), p.v.data(), p.size(), p.decay});
    return out;
  }
};

namespace {

// Unpacks a packed linear into W [n, k] and b [n].
void Unpack(const PackedLinear& l, std::vector<float>& w, std::vector<float>& b) {
  w.assign(static_cast<size_t>(l.n()) * l.k(), 0.0f);
  b.assign(static_cast<size_t>(l.n()), 0.0f);
  UnpackLinear(l, w.data(), b.data());
}

std::vector<float> NormalInit(TrainRng& rng, int64_t count, double std) {
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = static_cast<float>(rng.Normal() * std);
  return v;
}

class SwapGuard {
 public:
  explicit SwapGuard(Trainer::Impl& impl) : impl_(impl) { impl_.Swap(); }
  ~SwapGuard() { impl_.Swap(); }

 private:
  Trainer::Impl& impl_;
};

}  // namespace

Trainer::Trainer() : impl_(std::make_unique<Impl>()) {}
Trainer::~Trainer() = default;

int32_t Trainer::feature_size() const {
  if (options_.feature_size > 0) return options_.feature_size;
  return impl_->parts != nullptr ? impl_->parts->encoder.hidden_size : 0;
}

Result<std::unique_ptr<Trainer>> Trainer::Create(Model* model, const TrainerOptions& o) {
  std::unique_ptr<Trainer> t(new Trainer());
  t->options_ = o;
  Impl& im = *t->impl_;
  im.rng = TrainRng(o.seed);
  const double std = o.initializer_range;
  const int64_t labels = o.num_labels;

  if (o.feature_size > 0) {  // a linear classifier on given features
    if (o.task != TrainTask::kSequence && o.task != TrainTask::kToken) return Status::Internal("trainer: task");
    t->head_only_ = true;
    const int32_t f = o.feature_size;
    im.head.steps.push_back(LinearStep(nullptr, Activation::kNone));
    im.head_names.push_back("classifier");
    LinearUnit u;
    u.slot = &im.head.steps[0].linear;
    u.owned = true;
    u.n = o.num_labels;
    u.k = f;
    u.w = im.AddParam("classifier.weight", {labels, f}, NormalInit(im.rng, labels * f, std), true);
    u.b = im.AddParam("classifier.bias", {labels}, std::vector<float>(labels, 0.0f), false);
    im.linears.push_back(std::move(u));
  } else {
    if (model == nullptr) return OptionError("model", "is required unless from_features is set");
    im.model = model;
    // The model's parts, mutated only between the swaps of one call.
    im.parts = &const_cast<ModelParts&>(model->parts());
    ModelParts& parts = *im.parts;
    EncoderWeights& enc = parts.encoder;
    // The families whose heads and tensor names the trainer builds (and the tests check); others can
    // train a head on features (from_features).
    const std::string& type = model->config().model_type_name;
    im.spec = FindArchitecture(type);
    if (im.spec == nullptr || (type != "bert" && type != "roberta" && type != "distilbert" && type != "albert")) {
      return Status::Unsupported("trainer: fine-tuning supports bert, roberta, distilbert and albert models, not '" + type +
                                 "' (a head on its features: from_features)")
          .WithDetails(FieldDetails("model_type"));
    }
    im.prefix = model->config().model_type_name + ".";
    const int32_t h = enc.hidden_size, e = enc.embedding_size;
    const int32_t distinct = static_cast<int32_t>(enc.layers.size());
    const int32_t applied = enc.num_layers();
    int32_t n_layers = o.layers < 0 ? distinct : o.layers;
    if (n_layers > distinct) {
      return OptionError("layers", "asks for " + std::to_string(n_layers) + " layers; the model has " +
                                       std::to_string(distinct) + (distinct != applied ? " distinct (shared) layers" : ""));
    }
    t->head_only_ = n_layers == 0 && !o.embeddings && o.lora_r == 0;
    bool q8 = enc.embeddings.word.bytes() < static_cast<size_t>(enc.vocab_size) * e * sizeof(float);
    for (const EncoderLayerWeights& l : enc.layers) q8 = q8 || dynamic_cast<const PackedLinearF32*>(l.attention.qkv.get()) == nullptr;
    if (!t->head_only_ && q8) {
      return Status::Unsupported("trainer: this model was loaded as q8; training encoder layers, embeddings or LoRA "
                                 "needs fp32 weights (load with dtype 'fp32'), a head trains on q8 features")
          .WithDetails(FieldDetails("layers"));
    }

    // The head: HF's *ForSequenceClassification / *ForTokenClassification.
    const HeadProgram& old_head = parts.head_program;
    auto copy_linear = [&](const PackedLinear& l, std::vector<float>& w, std::vector<float>& b) { Unpack(l, w, b); };
    struct HeadLinear {
      std::string name;
      Activation act;
      std::vector<float> w, b;
      int32_t n, k;
    };
    std::vector<HeadLinear> hl;
    if (o.task == TrainTask::kSequence) {
      const SequenceHeadNames& sn = im.spec->sequence;
      HeadLinear dense{std::string(sn.dense_is_pooler ? im.prefix : "") + sn.dense, sn.activation, {}, {}, h, h};
      HeadLinear cls{sn.classifier, Activation::kNone, {}, {}, o.num_labels, h};
      const bool seq_ckpt = parts.head == HeadKind::kSequenceClassification && old_head.steps.size() == 2;
      if (seq_ckpt) {
        copy_linear(*old_head.steps[0].linear, dense.w, dense.b);
      } else if (sn.dense_is_pooler && !parts.pooler.empty()) {
        copy_linear(*parts.pooler.steps[0].linear, dense.w, dense.b);
      } else {
        dense.w = NormalInit(im.rng, static_cast<int64_t>(h) * h, std);
        dense.b.assign(h, 0.0f);
      }
      if (o.keep_head && seq_ckpt && old_head.steps[1].linear->n() == o.num_labels) {
        copy_linear(*old_head.steps[1].linear, cls.w, cls.b);
      } else {
        cls.w = NormalInit(im.rng, labels * h, std);
        cls.b.assign(labels, 0.0f);
      }
      hl.push_back(std::move(dense));
      hl.push_back(std::move(cls));
    } else {
      HeadLinear cls{"classifier", Activation::kNone, {}, {}, o.num_labels, h};
      if (o.keep_head && parts.head == HeadKind::kTokenClassification && old_head.steps.size() == 1 &&
          old_head.steps[0].linear->n() == o.num_labels) {
        copy_linear(*old_head.steps[0].linear, cls.w, cls.b);
      } else {
        cls.w = NormalInit(im.rng, labels * h, std);
        cls.b.assign(labels, 0.0f);
      }
      hl.push_back(std::move(cls));
    }
    im.head.first_token_only = o.task == TrainTask::kSequence;
    for (HeadLinear& l : hl) im.head.steps.push_back(LinearStep(nullptr, l.act));
    for (size_t i = 0; i < hl.size(); ++i) {
      HeadLinear& l = hl[i];
      LinearUnit u;
      u.slot = &im.head.steps[i].linear;
      u.owned = true;
      u.n = l.n;
      u.k = l.k;
      u.w = im.AddParam(l.name + ".weight", {l.n, l.k}, std::move(l.w), true);
      u.b = im.AddParam(l.name + ".bias", {l.n}, std::move(l.b), false);
      im.head_names.push_back(l.name);
      im.linears.push_back(std::move(u));
    }

    // Encoder layers: the last n_layers distinct layers (with LoRA: adapters on every layer).
    const LayerSpec& ls = im.spec->layers;
    auto layer_prefix = [&](int32_t d) {
      return im.prefix + ls.path + "." + std::to_string(d) + (ls.sharing == LayerSharing::kAlbertGroups ? ".albert_layers.0." : ".");
    };
    im.layer_grads.resize(static_cast<size_t>(distinct));
    im.encoder_grads.layers.assign(static_cast<size_t>(distinct), nullptr);
    auto add_linear = [&](Linear* slot, const std::string& name, LinearGrads* grads) {
      LinearUnit u;
      u.slot = slot;
      u.transposed = true;
      u.n = (*slot)->n();
      u.k = (*slot)->k();
      std::vector<float> w, b;
      Unpack(**slot, w, b);
      u.w = im.AddParam(name + ".weight", {u.n, u.k}, std::move(w), true);
      u.b = im.AddParam(name + ".bias", {u.n}, std::move(b), false);
      *grads = LinearGrads{im.params[u.w].grad.data(), im.params[u.b].grad.data()};
      im.linears.push_back(std::move(u));
      return static_cast<int32_t>(im.linears.size() - 1);
    };
    auto add_norm = [&](LayerNormWeights* slot, const std::string& name, LayerNormGrads* grads) {
      NormUnit u;
      u.slot = slot;
      u.mine = *slot;
      const int64_t n = static_cast<int64_t>(slot->gamma.size());
      u.gamma = im.AddParam(name + ".weight", {n}, slot->gamma, false);
      u.beta = im.AddParam(name + ".bias", {n}, slot->beta, false);
      *grads = LayerNormGrads{im.params[u.gamma].grad.data(), im.params[u.beta].grad.data()};
      im.norms.push_back(std::move(u));
    };
    const LayerNames& nm = ls.names;
    for (int32_t d = distinct - n_layers; d < distinct; ++d) {
      EncoderLayerWeights& L = enc.layers[d];
      EncoderLayerGrads& g = im.layer_grads[d];
      const std::string lp = layer_prefix(d);
      // q|k|v are one fused parameter; the views name its three tensors.
      const int32_t qi = add_linear(&L.attention.qkv, lp + "attention.qkv", &g.attention.qkv);
      const LinearUnit& q = im.linears[qi];
      for (int32_t part = 0; part < 3; ++part) {
        const char* which = part == 0 ? nm.query : part == 1 ? nm.key : nm.value;
        im.AddView(lp + which + ".weight", q.w, static_cast<int64_t>(part) * h * h, {h, h});
        im.AddView(lp + which + ".bias", q.b, static_cast<int64_t>(part) * h, {h});
      }
      add_linear(&L.attention.output, lp + nm.attention_output, &g.attention.output);
      add_norm(&L.attention_norm, lp + nm.attention_norm, &g.attention_norm);
      add_linear(&L.ffn.in, lp + nm.ffn_in, &g.ffn.in);
      add_linear(&L.ffn.out, lp + nm.ffn_out, &g.ffn.out);
      add_norm(&L.ffn_norm, lp + nm.ffn_norm, &g.ffn_norm);
      im.encoder_grads.layers[d] = &g;
    }
    if (o.lora_r > 0) {
      const int32_t r = o.lora_r;
      im.lora_scaling = o.lora_alpha / r;
      const double bound = 1.0 / std::sqrt(static_cast<double>(h));  // kaiming_uniform_(a=√5): √(1/fan_in)
      for (int32_t d = 0; d < distinct; ++d) {
        EncoderLayerWeights& L = enc.layers[d];
        EncoderLayerGrads& g = im.layer_grads[d];
        const std::string lp = layer_prefix(d);
        LinearUnit u;
        u.slot = &L.attention.qkv;
        u.transposed = true;
        u.n = 3 * h;
        u.k = h;
        Unpack(*L.attention.qkv, u.base_w, u.base_b);
        u.dw.assign(u.base_w.size(), 0.0f);
        for (int32_t side = 0; side < 2; ++side) {
          const std::string mod = lp + (side == 0 ? nm.query : nm.value);
          std::vector<float> a(static_cast<size_t>(r) * h);
          for (float& x : a) x = static_cast<float>((2 * im.rng.Uniform() - 1) * bound);
          const int32_t ai = im.AddParam(mod + ".lora_A.weight", {r, h}, std::move(a), true);
          const int32_t bi = im.AddParam(mod + ".lora_B.weight", {h, r}, std::vector<float>(static_cast<size_t>(h) * r, 0.0f), true);
          (side == 0 ? u.aq : u.av) = ai;
          (side == 0 ? u.bq : u.bv) = bi;
        }
        g.attention.qkv = LinearGrads{u.dw.data(), nullptr};  // dW of the merged weight -> dA, dB
        im.linears.push_back(std::move(u));
        im.encoder_grads.layers[d] = &g;
      }
      // Every layer's other linears are frozen but the gradient crosses them.
      for (EncoderLayerWeights& L : enc.layers) {
        for (Linear* l : {&L.attention.output, &L.ffn.in, &L.ffn.out}) BT_RETURN_IF_ERROR(im.bw.Add(**l));
      }
    }
    if (o.embeddings) {
      EmbeddingWeights& E = enc.embeddings;
      const std::string ep = im.prefix + "embeddings.";
      EmbeddingGrads& g = im.embedding_grads;
      std::vector<float> word(static_cast<size_t>(enc.vocab_size) * e);
      for (int32_t i = 0; i < enc.vocab_size; ++i) E.word.Gather(i, word.data() + static_cast<size_t>(i) * e);
      TableUnit tu;
      tu.slot = &E.word;
      tu.rows = enc.vocab_size;
      tu.width = e;
      tu.p = im.AddParam(ep + "word_embeddings.weight", {enc.vocab_size, e}, std::move(word), true);
      g.word = im.params[tu.p].grad.data();
      im.tables.push_back(std::move(tu));
      VectorUnit pu;
      pu.slot = &E.position;
      pu.p = im.AddParam(ep + "position_embeddings.weight", {enc.max_positions, e}, E.position, true);
      g.position = im.params[pu.p].grad.data();
      im.vectors.push_back(std::move(pu));
      if (!E.token_type.empty()) {
        VectorUnit tt;
        tt.slot = &E.token_type;
        tt.p = im.AddParam(ep + "token_type_embeddings.weight", {enc.type_vocab_size, e}, E.token_type, true);
        g.token_type = im.params[tt.p].grad.data();
        im.vectors.push_back(std::move(tt));
      }
      add_norm(&E.norm, ep + "LayerNorm", &g.norm);
      if (E.projection) {
        add_linear(&E.projection, im.prefix + im.spec->embedding_projection, &g.projection);
      }
      im.encoder_grads.embeddings = &g;
    }
    // The lowest applied layer the backward reaches.
    im.first_layer = applied;
    for (int32_t l = 0; l < applied; ++l) {
      if (im.encoder_grads.layers[enc.layer_order[l]] != nullptr) {
        im.first_layer = l;
        break;
      }
    }
    if (o.embeddings) im.first_layer = 0;
    im.encoder_grads.first_layer = o.embeddings ? 0 : im.first_layer;
    // Frozen linears above the lowest trained layer (shared ALBERT layers applied in between) need Wᵀ.
    for (int32_t l = im.first_layer; l < applied && !t->head_only_; ++l) {
      EncoderLayerWeights& L = enc.layers[enc.layer_order[l]];
      if (im.encoder_grads.layers[enc.layer_order[l]] != nullptr) continue;
      for (Linear* lin : {&L.attention.qkv, &L.attention.output, &L.ffn.in, &L.ffn.out}) BT_RETURN_IF_ERROR(im.bw.Add(**lin));
    }
  }
  im.head_grads.linear.resize(im.head.steps.size());
  for (size_t i = 0; i < im.head.steps.size(); ++i) {
    const LinearUnit& u = im.linears[i];
    im.head_grads.linear[i] = LinearGrads{im.params[u.w].grad.data(), im.params[u.b].grad.data()};
  }
  // The units' copies: views for plain parameters, packed weights, norms.
  for (size_t i = 0; i < im.params.size(); ++i) {
    const Param& p = im.params[i];
    if (p.name.find(".attention.qkv.") != std::string::npos) continue;  // shown through its views
    im.AddView(p.name, static_cast<int32_t>(i), 0, p.shape);
  }
  BT_RETURN_IF_ERROR(im.SyncAll());
  return t;
}

namespace {

// Lays out the head's forward (taped) and backward buffers over `rows` rows of `width` features.
struct HeadPlan {
  HeadBuffers forward, backward;
  HeadTape tape;
  float* dlogits = nullptr;
  float* drows = nullptr;
};

HeadPlan LayoutHead(ArenaLayout& a, const HeadProgram& head, int32_t rows, int32_t width, bool backward) {
  HeadPlan p;
  const int64_t maxw = head.max_width(width);
  p.forward.a = a.Take<float>(rows * maxw);
  p.forward.b = a.Take<float>(rows * maxw);
  p.tape.steps.resize(head.steps.size());
  int64_t w = width;
  for (size_t i = 0; i < head.steps.size(); ++i) {
    const HeadStep& step = head.steps[i];
    if (step.linear) {
      w = step.linear->n();
      if (step.activation != Activation::kNone) p.tape.steps[i].pre = a.Take<float>(rows * w);
    }
    p.tape.steps[i].out = a.Take<float>(rows * w);
  }
  if (backward) {
    p.backward.a = a.Take<float>(rows * maxw);
    p.backward.b = a.Take<float>(rows * maxw);
    p.dlogits = a.Take<float>(rows * head.output_size());
    p.drows = a.Take<float>(static_cast<int64_t>(rows) * width);
  }
  return p;
}

}  // namespace

// The shared part of every call on ids: the validated input (mask defaults to all ones).
Result<EncoderInput> Trainer::Input(const TrainBatch& b) {
  Impl& im = *impl_;
  if (im.model == nullptr) {
    return Status::InvalidArgument("trainer: this trainer has no model (from_features): use the *Features calls");
  }
  if (b.batch < 1 || b.seq < 1) return Status::InvalidArgument("trainer: batch and seq must be >= 1");
  const Limits& limits = im.model->limits();
  if (b.batch > limits.max_batch) {
    return Status::Limit("trainer: batch " + std::to_string(b.batch) + " exceeds limits.max_batch " +
                         std::to_string(limits.max_batch)).WithDetails(LimitDetails("max_batch"));
  }
  const int64_t m = static_cast<int64_t>(b.batch) * b.seq;
  if (m > limits.max_tokens) {
    return Status::Limit("trainer: " + std::to_string(m) + " tokens exceed limits.max_tokens " +
                         std::to_string(limits.max_tokens)).WithDetails(LimitDetails("max_tokens"));
  }
  EncoderInput in{b.batch, b.seq, b.ids, b.type_ids, b.mask, nullptr};
  if (in.mask == nullptr) {
    im.ones.assign(static_cast<size_t>(m), 1);
    in.mask = im.ones.data();
  }
  BT_RETURN_IF_ERROR(ValidateEncoderInput(im.parts->encoder, in));
  return in;
}

Status Trainer::CheckLabels(const int32_t* labels, int64_t rows) const {
  if (labels == nullptr) return Status::InvalidArgument("trainer: labels are required").WithDetails(FieldDetails("labels"));
  (void)rows;
  return Status::Ok();
}

// Head-only: the head (and its loss) on feature rows. logits: optional [rows, labels] out.
Result<double> Trainer::HeadRun(const float* features, int32_t rows, const int32_t* labels, std::vector<float>* logits) {
  Impl& im = *impl_;
  const int32_t width = feature_size();
  if (rows < 1) return Status::InvalidArgument("trainer: features need at least one row");
  for (int64_t i = 0; i < static_cast<int64_t>(rows) * width; ++i) {
    if (!std::isfinite(features[i])) {
      return Status::InvalidArgument("trainer: features[" + std::to_string(i) + "] is not finite").WithDetails(FieldDetails("features"));
    }
  }
  const bool backward = labels != nullptr;
  ArenaLayout measure;
  LayoutHead(measure, im.head, rows, width, backward);
  if (!im.head_arena.Reserve(measure.bytes())) return Status::OutOfMemory("trainer: out of memory for the head's buffers");
  peak_arena_ = std::max<uint64_t>(peak_arena_, im.arena.capacity() + im.head_arena.capacity());
  ArenaLayout place(im.head_arena);
  HeadPlan plan = LayoutHead(place, im.head, rows, width, backward);
  ThreadPool& pool = DefaultThreadPool();
  const float* out = HeadForward(im.head, HeadInput{features, width, nullptr, rows}, plan.forward, &plan.tape, pool);
  const int32_t classes = options_.num_labels;
  if (logits != nullptr) logits->assign(out, out + static_cast<size_t>(rows) * classes);
  if (!backward) return 0.0;
  BT_ASSIGN_OR_RETURN(CrossEntropyResult ce, CrossEntropy(out, labels, rows, classes, plan.dlogits));
  HeadBackward(im.head, plan.tape, plan.dlogits, plan.drows, plan.backward, &im.head_grads, pool);
  return ce.loss;
}

// Every other case: the taped forward of the model with the trained weights swapped in, then backward.
Result<double> Trainer::FullRun(const TrainBatch& b, bool backward, std::vector<float>* logits) {
  Impl& im = *impl_;
  BT_ASSIGN_OR_RETURN(EncoderInput in, Input(b));
  const int32_t m = b.batch * b.seq;
  const bool sequence = options_.task == TrainTask::kSequence;
  ForwardSpec spec;
  spec.input = in;
  spec.run_head = true;
  if (sequence) {
    im.rows.resize(static_cast<size_t>(b.batch));
    for (int32_t i = 0; i < b.batch; ++i) im.rows[i] = i * b.seq;
    spec.head_rows = RowSelection{im.rows.data(), b.batch};
  } else {
    spec.head_rows = RowSelection{nullptr, m};
  }
  if (backward) {
    spec.tape = true;
    spec.tape_contents = TapeContents::kParameterGradients;
    spec.tape_from_layer = im.encoder_grads.first_layer;  // nothing below the lowest trained layer is taped
    spec.backward = &im.bw;
  } else {
    spec.hidden = nullptr;
  }
  SwapGuard guard(im);
  ThreadPool& pool = DefaultThreadPool();
  const ModelParts& parts = *im.parts;
  const uint64_t bytes = ForwardArenaBytes(parts, spec, pool);
  const Limits& limits = im.model->limits();
  if (static_cast<int64_t>(bytes) > limits.max_forward_bytes) {
    return Status::Limit("trainer: this batch needs " + std::to_string(bytes) + " bytes of working memory, over limits.max_forward_bytes " +
                         std::to_string(limits.max_forward_bytes) + " (smaller batches or shorter max_length)")
        .WithDetails(LimitDetails("max_forward_bytes"));
  }
  BT_ASSIGN_OR_RETURN(ForwardPass pass, RunForward(parts, spec, im.arena, pool));
  peak_arena_ = std::max<uint64_t>(peak_arena_, im.arena.capacity() + im.head_arena.capacity());
  const int32_t rows = spec.head_rows.count, classes = options_.num_labels;
  if (logits != nullptr) logits->assign(pass.head, pass.head + static_cast<size_t>(rows) * classes);
  if (!backward) return 0.0;
  im.dlogits.resize(static_cast<size_t>(rows) * classes);
  BT_ASSIGN_OR_RETURN(CrossEntropyResult ce, CrossEntropy(pass.head, b.labels, rows, classes, im.dlogits.data()));
  BackwardRequest request;
  request.dhead = im.dlogits.data();
  if (im.encoder_grads.embeddings != nullptr) {
    im.dword.resize(static_cast<size_t>(m) * parts.encoder.embedding_size);
    request.dword = im.dword.data();
  }
  request.grads = &im.encoder_grads;
  request.head_grads = &im.head_grads;
  BT_RETURN_IF_ERROR(RunBackward(parts, im.bw, pass, request, pool));
  return ce.loss;
}

// Loss and gradients (zeroed first): the head-only or full path, then LoRA's and the l2 penalty's share.
Result<StepResult> Trainer::Gradients(const float* features, int32_t rows, const TrainBatch* batch, const int32_t* labels) {
  Impl& im = *impl_;
  BT_RETURN_IF_ERROR(CheckLabels(labels, 0));
  im.ZeroGrads();
  Result<double> loss = Status::Internal("trainer: no path");
  if (batch == nullptr) {
    loss = HeadRun(features, rows, labels, nullptr);
  } else if (head_only_) {
    BT_ASSIGN_OR_RETURN(std::vector<float> f, Features(*batch));
    const int32_t n = static_cast<int32_t>(f.size() / feature_size());
    loss = HeadRun(f.data(), n, labels, nullptr);
  } else {
    loss = FullRun(*batch, true, nullptr);
  }
  if (!loss.ok()) return loss.status();
  im.LoraGrads();
  double penalty = 0;
  if (options_.optimizer.l2 > 0) {
    const float l2 = static_cast<float>(options_.optimizer.l2);
    for (Param& p : im.params) {
      if (!p.decay) continue;
      for (int64_t i = 0; i < p.size(); ++i) {
        penalty += static_cast<double>(p.value[i]) * p.value[i];
        p.grad[i] += l2 * p.value[i];
      }
    }
    penalty *= 0.5 * options_.optimizer.l2;
  }
  StepResult r;
  r.loss = loss.value() + penalty;
  double sum = 0;
  for (const Param& p : im.params) {
    for (float g : p.grad) sum += static_cast<double>(g) * g;
  }
  r.grad_norm = std::sqrt(sum);
  r.step = step_;
  return r;
}

Result<StepResult> Trainer::Update(Result<StepResult> grads) {
  if (!grads.ok()) return grads;
  Impl& im = *impl_;
  StepResult r = grads.value();
  if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) {
    return Status::InvalidArgument("trainer: the loss or gradient is not finite (loss " + std::to_string(r.loss) +
                                   "): training diverged; lower optimizer.lr. No update was made.")
        .WithDetails(FieldDetails("optimizer.lr"));
  }
  std::vector<OptimizerTensor> tensors = im.OptimizerTensors();
  ClipGradNorm(tensors, options_.optimizer.max_grad_norm);
  const OptimizerOptions& o = options_.optimizer;
  r.lr = o.lr * LinearScheduleFactor(step_, o.warmup_steps, o.total_steps);
  AdamWStep(tensors, o, r.lr, step_ + 1);
  ++step_;
  r.step = step_;
  BT_RETURN_IF_ERROR(im.SyncAll());
  return r;
}

Result<StepResult> Trainer::LossAndGrads(const TrainBatch& batch) { return Gradients(nullptr, 0, &batch, batch.labels); }
Result<StepResult> Trainer::Step(const TrainBatch& batch) { return Update(LossAndGrads(batch)); }
Result<StepResult> Trainer::LossAndGradsFeatures(const float* features, int32_t rows, const int32_t* labels) {
  if (!head_only_) return Status::InvalidArgument("trainer: feature calls train the head only (layers 0, no lora, no embeddings)");
  return Gradients(features, rows, nullptr, labels);
}
Result<StepResult> Trainer::StepFeatures(const float* features, int32_t rows, const int32_t* labels) {
  return Update(LossAndGradsFeatures(features, rows, labels));
}

Result<std::vector<float>> Trainer::LogitsFeatures(const float* features, int32_t rows) {
  if (!head_only_) return Status::InvalidArgument("trainer: feature calls train the head only (layers 0, no lora, no embeddings)");
  std::vector<float> logits;
  BT_RETURN_IF_ERROR(HeadRun(features, rows, nullptr, &logits).status());
  return logits;
}

Result<std::vector<float>> Trainer::Features(const TrainBatch& b) {
  Impl& im = *impl_;
  if (!head_only_) return Status::InvalidArgument("trainer: features are the frozen encoder's: only for head-only training");
  BT_ASSIGN_OR_RETURN(EncoderInput in, Input(b));
  const bool sequence = options_.task == TrainTask::kSequence;
  ForwardSpec spec;
  spec.input = in;
  if (sequence) {
    im.rows.resize(static_cast<size_t>(b.batch));
    for (int32_t i = 0; i < b.batch; ++i) im.rows[i] = i * b.seq;
    spec.last_layer_rows = im.rows.data();
    spec.last_layer_count = b.batch;
  }
  ThreadPool& pool = DefaultThreadPool();
  BT_ASSIGN_OR_RETURN(ForwardPass pass, RunForward(*im.parts, spec, im.arena, pool));
  peak_arena_ = std::max<uint64_t>(peak_arena_, im.arena.capacity() + im.head_arena.capacity());
  const size_t count = static_cast<size_t>(pass.rows) * im.parts->encoder.hidden_size;
  return std::vector<float>(pass.hidden, pass.hidden + count);
}

Result<std::vector<float>> Trainer::Logits(const TrainBatch& b) {
  std::vector<float> logits;
  if (head_only_) {
    BT_ASSIGN_OR_RETURN(std::vector<float> f, Features(b));
    const int32_t n = static_cast<int32_t>(f.size() / feature_size());
    BT_RETURN_IF_ERROR(HeadRun(f.data(), n, nullptr, &logits).status());
  } else {
    BT_RETURN_IF_ERROR(FullRun(b, false, &logits).status());
  }
  return logits;
}

std::vector<ParameterInfo> Trainer::Parameters() const {
  std::vector<ParameterInfo> out;
  for (const View& v : impl_->views) out.push_back({v.name, v.shape});
  return out;
}

int64_t Trainer::trainable_parameters() const {
  int64_t n = 0;
  for (const Param& p : impl_->params) n += p.size();
  return n;
}

uint64_t Trainer::memory_bytes() const {
  const Impl& im = *impl_;
  uint64_t bytes = im.arena.capacity() + im.head_arena.capacity() + im.bw.bytes();
  for (const Param& p : im.params) bytes += VectorBytes(p.value) + VectorBytes(p.grad) + VectorBytes(p.m) + VectorBytes(p.v);
  for (const LinearUnit& u : im.linears) {
    bytes += VectorBytes(u.base_w) + VectorBytes(u.base_b) + VectorBytes(u.dw);
    const Linear& l = u.owned ? *u.slot : u.mine;
    if (l) bytes += l->bytes();
  }
  for (const TableUnit& u : im.tables) bytes += u.mine.bytes();
  for (const VectorUnit& u : im.vectors) bytes += VectorBytes(u.mine);
  bytes += VectorBytes(im.dlogits) + VectorBytes(im.dword);
  return bytes;
}

Result<std::vector<float>> Trainer::Gradient(const std::string& name) const {
  const View* v = impl_->FindView(name);
  if (v == nullptr) return Status::InvalidArgument("trainer: no trainable tensor '" + name + "'").WithDetails(FieldDetails(name));
  const std::vector<float>& g = impl_->params[v->param].grad;
  return std::vector<float>(g.begin() + v->offset, g.begin() + v->offset + v->size());
}

Result<float> Trainer::GetValue(const std::string& name, int64_t index) const {
  const View* v = impl_->FindView(name);
  if (v == nullptr || index < 0 || index >= v->size()) return Status::InvalidArgument("trainer: no value " + name);
  return impl_->params[v->param].value[v->offset + index];
}

Status Trainer::SetValue(const std::string& name, int64_t index, float value) {
  const View* v = impl_->FindView(name);
  if (v == nullptr || index < 0 || index >= v->size()) return Status::InvalidArgument("trainer: no value " + name);
  impl_->params[v->param].value[v->offset + index] = value;
  return impl_->SyncAll();
}

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
        if (trained_only && lora_only && part == 1) continue;  // the key projection has no adapter
        const char* which = part == 0 ? nm.query : part == 1 ? nm.key : nm.value;
        const size_t hh = static_cast<size_t>(h) * h;
        emit(lp + which + ".weight", {h, h}, std::vector<float>(w.begin() + part * hh, w.begin() + (part + 1) * hh));
        emit(lp + which + ".bias", {h}, std::vector<float>(b.begin() + part * h, b.begin() + (part + 1) * h));
      }
      if (trained_only && lora_only) continue;
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
