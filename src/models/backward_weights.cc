#include "models/backward_weights.h"

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

std::vector<const PackedLinear*> BackwardWeights::EncoderLinears(const EncoderWeights& encoder) {
  std::vector<const PackedLinear*> linears;
  if (encoder.embeddings.projection) linears.push_back(encoder.embeddings.projection.get());
  for (const EncoderLayerWeights& layer : encoder.layers) {
    for (const Linear* l : {&layer.attention.qkv, &layer.attention.output, &layer.ffn.in, &layer.ffn.out}) {
      linears.push_back(l->get());
    }
  }
  return linears;
}

Status BackwardWeights::Build(const EncoderWeights& encoder) {
  if (built()) return Status::Ok();
  for (const PackedLinear* w : EncoderLinears(encoder)) {
    if (w == nullptr) {
      transposed_.clear();
      return Status::Internal("backward: the encoder has a missing linear layer");
    }
    Status added = Add(*w);
    if (!added.ok()) {
      transposed_.clear();  // all or nothing: built() means every linear is there
      return added;
    }
  }
  return Status::Ok();
}

Status BackwardWeights::Add(const PackedLinear& w) {
  if (transposed_.count(&w)) return Status::Ok();
  std::unique_ptr<PackedLinear> t = PackTransposed(w);
  if (t == nullptr) return Status::OutOfMemory("backward: out of memory while preparing the backward weights");
  transposed_.emplace(&w, std::move(t));
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
