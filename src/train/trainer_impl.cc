// Trainer::Impl: packing the trained parameters into the objects the forward runs (LoRA merged),
// LoRA's gradients from the merged weight's, and the helpers the trainer's files share.
#include "kernels/gemm_internal.h"
#include "kernels/gemm_unpack.h"
#include "train/trainer_impl.h"

namespace bt {
namespace train_internal {

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

}  // namespace train_internal

// Packs a linear unit from its parameters (LoRA: the merged weight).
// Training-only code in an -O3 file: compiled for size (the wasm's 1 MB bound, docs/build.md).
__attribute__((minsize)) Status Trainer::Impl::SyncLinear(LinearUnit& u) {
  std::vector<float> merged;
  const float* w = nullptr;
  const float* b = nullptr;
  if (!u.adapters.empty()) {
    merged = u.base_w;
    const int32_t k = u.k;
    const float s = static_cast<float>(lora_scaling);
    for (const Adapter& ad : u.adapters) {
      const int32_t r = static_cast<int32_t>(params[ad.a].shape[0]);
      const float* A = params[ad.a].value.data();  // [r, k]
      const float* B = params[ad.b].value.data();  // [rows, r]
      for (int32_t j = 0; j < ad.rows; ++j) {
        float* row = merged.data() + static_cast<size_t>(ad.row0 + j) * k;
        for (int32_t i = 0; i < r; ++i) {
          const float bji = s * B[static_cast<size_t>(j) * r + i];
          if (bji == 0.0f) continue;
          const float* arow = A + static_cast<size_t>(i) * k;
          for (int32_t c = 0; c < k; ++c) row[c] += bji * arow[c];
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

Status Trainer::Impl::SyncAll() {
  for (LinearUnit& u : linears) BT_RETURN_IF_ERROR(SyncLinear(u));
  for (NormUnit& u : norms) {
    u.mine.gamma = params[u.gamma].value;
    u.mine.beta = params[u.beta].value;
  }
  for (VectorUnit& u : vectors) u.mine = params[u.p].value;
  for (TableUnit& u : tables) u.mine = EmbeddingTable(params[u.p].value, u.rows, u.width, false);
  return Status::Ok();
}

// LoRA: from dW of the merged q|k|v weight, dA = s·Bᵀ·dW_rows and dB = s·dW_rows·Aᵀ.
__attribute__((minsize)) void Trainer::Impl::LoraGrads() {
  const float s = static_cast<float>(lora_scaling);
  for (LinearUnit& u : linears) {
    const int32_t k = u.k;
    for (const Adapter& ad : u.adapters) {
      const int32_t r = static_cast<int32_t>(params[ad.a].shape[0]);
      const float* A = params[ad.a].value.data();
      const float* B = params[ad.b].value.data();
      float* dA = params[ad.a].grad.data();
      float* dB = params[ad.b].grad.data();
      for (int32_t j = 0; j < ad.rows; ++j) {
        const float* drow = u.dw.data() + static_cast<size_t>(ad.row0 + j) * k;
        for (int32_t i = 0; i < r; ++i) {
          const float* arow = A + static_cast<size_t>(i) * k;
          float* darow = dA + static_cast<size_t>(i) * k;
          const float bji = s * B[static_cast<size_t>(j) * r + i];
          double dot = 0;
          for (int32_t c = 0; c < k; ++c) {
            dot += static_cast<double>(drow[c]) * arow[c];
            darow[c] += bji * drow[c];
          }
          dB[static_cast<size_t>(j) * r + i] += static_cast<float>(s * dot);
        }
      }
    }
  }
}

}  // namespace bt
