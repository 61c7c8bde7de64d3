// Trainer::Create: which tensors a trainer trains and their first values — the head as Hugging Face's
// *ForSequenceClassification / *ForTokenClassification initialises it (or the checkpoint's), the last N
// encoder layers, the embeddings, LoRA adapters as PEFT initialises them — and which frozen weights the
// backward must cross (their Wᵀ).
#include <cmath>
#include <string_view>

#include "kernels/gemm_internal.h"
#include "models/architecture.h"
#include "train/loss.h"
#include "train/trainer_impl.h"

namespace bt {

using train_internal::LinearUnit;
using train_internal::NormUnit;
using train_internal::NormalInit;
using train_internal::Param;
using train_internal::TableUnit;
using train_internal::Unpack;
using train_internal::VectorUnit;

namespace {

Status OptionError(const std::string& field, const std::string& what) {
  return Status::InvalidArgument("trainer options: " + field + " " + what).WithDetails(FieldDetails(field));
}

}  // namespace

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
    im.params[u.w].head = im.params[u.b].head = true;
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
      im.params[u.w].head = im.params[u.b].head = true;
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
      // PEFT's match: a module is a target when its name equals one or ends with "." + one.
      const std::vector<std::string> targets =
          o.lora_targets.empty() ? std::vector<std::string>{nm.query, nm.value} : o.lora_targets;
      std::vector<bool> used(targets.size(), false);
      auto targeted = [&](std::string_view module) {
        bool hit = false;
        for (size_t i = 0; i < targets.size(); ++i) {
          const std::string_view t = targets[i];
          const bool match = module == t || (module.size() > t.size() && module.compare(module.size() - t.size(), t.size(), t) == 0 &&
                                             module[module.size() - t.size() - 1] == '.');
          if (match) used[i] = hit = true;
        }
        return hit;
      };
      for (int32_t d = 0; d < distinct; ++d) {
        EncoderLayerWeights& L = enc.layers[d];
        EncoderLayerGrads& g = im.layer_grads[d];
        const std::string lp = layer_prefix(d);
        // The adapters of one linear: rows [row0, row0 + rows) of W [n, k]; A ~ kaiming_uniform_(a=√5)
        // = U(±1/√k), B = 0 (PEFT).
        struct Module {
          const char* name;
          int32_t row0;
        };
        auto adapt = [&](Linear* slot, LinearGrads* grads, const Module* modules, int32_t count, int32_t rows) {
          LinearUnit u;
          u.slot = slot;
          u.transposed = true;
          u.n = (*slot)->n();
          u.k = (*slot)->k();
          for (int32_t m = 0; m < count; ++m) {
            const char* module = modules[m].name;
            const int32_t row0 = modules[m].row0;
            if (!targeted(module)) continue;
            const double bound = 1.0 / std::sqrt(static_cast<double>(u.k));
            std::vector<float> a(static_cast<size_t>(r) * u.k);
            for (float& x : a) x = static_cast<float>((2 * im.rng.Uniform() - 1) * bound);
            const std::string mod = lp + module;
            const int32_t ai = im.AddParam(mod + ".lora_A.weight", {r, u.k}, std::move(a), true);
            const int32_t bi = im.AddParam(mod + ".lora_B.weight", {rows, r}, std::vector<float>(static_cast<size_t>(rows) * r, 0.0f), true);
            u.adapters.push_back(train_internal::Adapter{ai, bi, row0, rows});
          }
          if (u.adapters.empty()) return false;
          Unpack(**slot, u.base_w, u.base_b);
          u.dw.assign(u.base_w.size(), 0.0f);
          *grads = LinearGrads{u.dw.data(), nullptr};  // dW of the merged weight -> dA, dB
          im.linears.push_back(std::move(u));
          return true;
        };
        // Frozen (not adapted) linears still pass the gradient down: their Wᵀ.
        const Module qkv[] = {{nm.query, 0}, {nm.key, h}, {nm.value, 2 * h}};
        if (!adapt(&L.attention.qkv, &g.attention.qkv, qkv, 3, h)) BT_RETURN_IF_ERROR(im.bw.Add(*L.attention.qkv));
        Linear* const slots[] = {&L.attention.output, &L.ffn.in, &L.ffn.out};
        LinearGrads* const grads[] = {&g.attention.output, &g.ffn.in, &g.ffn.out};
        const char* const names[] = {nm.attention_output, nm.ffn_in, nm.ffn_out};
        for (int32_t i = 0; i < 3; ++i) {
          const Module one{names[i], 0};
          if (!adapt(slots[i], grads[i], &one, 1, (*slots[i])->n())) BT_RETURN_IF_ERROR(im.bw.Add(**slots[i]));
        }
        im.encoder_grads.layers[d] = &g;
      }
      for (size_t i = 0; i < targets.size(); ++i) {
        if (!used[i]) {
          return OptionError("lora.target_modules", "'" + targets[i] + "' matches no module of a " + type +
                                                        " layer (" + nm.query + ", " + nm.key + ", " + nm.value + ", " +
                                                        nm.attention_output + ", " + nm.ffn_in + ", " + nm.ffn_out + ")");
        }
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

}  // namespace bt
