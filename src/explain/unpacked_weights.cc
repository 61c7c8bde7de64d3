#include "explain/unpacked_weights.h"

#include <vector>

#include "kernels/gemm_unpack.h"

namespace bt {

std::unique_ptr<PackedLinear> PackTransposed(const PackedLinear& w) {
  const int32_t n = w.n(), k = w.k();
  std::vector<float> dense(static_cast<size_t>(n) * k), transposed(static_cast<size_t>(n) * k);
  if (!UnpackLinear(w, dense.data(), nullptr)) return nullptr;
  for (int32_t i = 0; i < n; ++i) {
    for (int32_t j = 0; j < k; ++j) transposed[static_cast<size_t>(j) * n + i] = dense[static_cast<size_t>(i) * k + j];
  }
  return PackLinearF32(transposed.data(), nullptr, k, n);
}

Status BackwardWeights::Build(const EncoderWeights& encoder) {
  if (built()) return Status::Ok();
  std::vector<const PackedLinear*> linears;
  if (encoder.embeddings.projection) linears.push_back(encoder.embeddings.projection.get());
  for (const EncoderLayerWeights& layer : encoder.layers) {
    for (const Linear* l : {&layer.qkv, &layer.attention_output, &layer.ffn_in, &layer.ffn_out}) {
      linears.push_back(l->get());
    }
  }
  std::map<const PackedLinear*, std::unique_ptr<PackedLinear>> built;
  for (const PackedLinear* w : linears) {
    if (w == nullptr) return Status::Internal("explain: the encoder has a missing linear layer");
    if (built.count(w)) continue;
    std::unique_ptr<PackedLinear> t = PackTransposed(*w);
    if (t == nullptr) return Status::OutOfMemory("explain: out of memory while preparing the backward weights");
    built.emplace(w, std::move(t));
  }
  transposed_ = std::move(built);
  return Status::Ok();
}

const PackedLinear* BackwardWeights::Transposed(const PackedLinear& w) const {
  auto it = transposed_.find(&w);
  return it == transposed_.end() ? nullptr : it->second.get();
}

size_t BackwardWeights::bytes() const {
  size_t total = 0;
  for (const auto& [w, t] : transposed_) total += t->bytes();
  return total;
}

}  // namespace bt
