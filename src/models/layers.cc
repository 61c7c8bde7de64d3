#include "models/layers.h"

#include "kernels/gemm_q8.h"

namespace bt {
namespace {

// Packs [n, k] weights; int8 when the checkpoint is loaded quantized and `allow_q8` (encoder layers).
Result<Linear> Pack(const WeightSource& weights, const std::vector<float>& w, const std::vector<float>& b, int64_t n,
                    int64_t k, bool allow_q8, const std::string& name) {
  const auto n32 = static_cast<int32_t>(n), k32 = static_cast<int32_t>(k);
  Linear packed = allow_q8 && weights.quantized() ? PackLinearQ8(w.data(), b.data(), n32, k32)
                                                  : PackLinearF32(w.data(), b.data(), n32, k32);
  if (!packed) return Status::Error("out of memory packing '" + name + "'");
  return packed;
}

}  // namespace

Result<Linear> LoadLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in) {
  BT_ASSIGN_OR_RETURN(std::vector<float> w, weights.Get(prefix + ".weight", {out, in}));
  BT_ASSIGN_OR_RETURN(std::vector<float> b, weights.Get(prefix + ".bias", {out}));
  return Pack(weights, w, b, out, in, /*allow_q8=*/false, prefix);
}

Result<Linear> LoadEncoderLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in) {
  BT_ASSIGN_OR_RETURN(std::vector<float> w, weights.Get(prefix + ".weight", {out, in}));
  BT_ASSIGN_OR_RETURN(std::vector<float> b, weights.Get(prefix + ".bias", {out}));
  return Pack(weights, w, b, out, in, /*allow_q8=*/true, prefix);
}

Result<Linear> LoadFusedLinear(const WeightSource& weights, const std::vector<std::string>& prefixes, int64_t out_each,
                               int64_t in) {
  std::vector<float> w, b;
  w.reserve(prefixes.size() * out_each * in);
  b.reserve(prefixes.size() * out_each);
  for (const std::string& prefix : prefixes) {
    BT_ASSIGN_OR_RETURN(std::vector<float> part_w, weights.Get(prefix + ".weight", {out_each, in}));
    BT_ASSIGN_OR_RETURN(std::vector<float> part_b, weights.Get(prefix + ".bias", {out_each}));
    w.insert(w.end(), part_w.begin(), part_w.end());
    b.insert(b.end(), part_b.begin(), part_b.end());
  }
  return Pack(weights, w, b, static_cast<int64_t>(b.size()), in, /*allow_q8=*/true, prefixes.front());
}

Result<Linear> LoadTiedLinear(const WeightSource& weights, const std::string& matrix_name,
                              const std::string& bias_name, int64_t out, int64_t in) {
  BT_ASSIGN_OR_RETURN(std::vector<float> w, weights.Get(matrix_name, {out, in}));
  BT_ASSIGN_OR_RETURN(std::vector<float> b, weights.Get(bias_name, {out}));
  return Pack(weights, w, b, out, in, /*allow_q8=*/false, matrix_name);
}

Result<LayerNormWeights> LoadLayerNorm(const WeightSource& weights, const std::string& prefix, int64_t n, float eps) {
  LayerNormWeights norm;
  BT_ASSIGN_OR_RETURN(norm.gamma, weights.Get(prefix + ".weight", {n}));
  BT_ASSIGN_OR_RETURN(norm.beta, weights.Get(prefix + ".bias", {n}));
  norm.eps = eps;
  return norm;
}

}  // namespace bt
