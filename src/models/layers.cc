#include "models/layers.h"

namespace bt {

Result<Linear> LoadLinear(const WeightSource& weights, const std::string& prefix, int64_t out, int64_t in) {
  BT_ASSIGN_OR_RETURN(std::vector<float> w, weights.Get(prefix + ".weight", {out, in}));
  BT_ASSIGN_OR_RETURN(std::vector<float> b, weights.Get(prefix + ".bias", {out}));
  return PackLinearF32(w.data(), b.data(), static_cast<int32_t>(out), static_cast<int32_t>(in));
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
  return PackLinearF32(w.data(), b.data(), static_cast<int32_t>(b.size()), static_cast<int32_t>(in));
}

Result<Linear> LoadTiedLinear(const WeightSource& weights, const std::string& matrix_name,
                              const std::string& bias_name, int64_t out, int64_t in) {
  BT_ASSIGN_OR_RETURN(std::vector<float> w, weights.Get(matrix_name, {out, in}));
  BT_ASSIGN_OR_RETURN(std::vector<float> b, weights.Get(bias_name, {out}));
  return PackLinearF32(w.data(), b.data(), static_cast<int32_t>(out), static_cast<int32_t>(in));
}

Result<LayerNormWeights> LoadLayerNorm(const WeightSource& weights, const std::string& prefix, int64_t n, float eps) {
  LayerNormWeights norm;
  BT_ASSIGN_OR_RETURN(norm.gamma, weights.Get(prefix + ".weight", {n}));
  BT_ASSIGN_OR_RETURN(norm.beta, weights.Get(prefix + ".bias", {n}));
  norm.eps = eps;
  return norm;
}

}  // namespace bt
