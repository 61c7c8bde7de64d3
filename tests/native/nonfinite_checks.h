// NaN and ±Inf lanes through every vector math function (issue 20): NaN in -> NaN out, and ±Inf
// as libm / PyTorch define the function (exp(+inf) = +inf, exp(-inf) = 0, erf(±inf) = ±1,
// gelu(+inf) = +inf, gelu(-inf) = -inf * 0 = NaN, a softmax row with a NaN or +inf is all NaN,
// a LayerNorm row with a NaN or ±inf is all NaN). The oracle is the same statement evaluated in
// double with libm (what torch's CPU kernels compute; checked against python3-torch 1.13 when this
// was written). Plain code (no gtest) so the wasm kernel test can run it too: returns the number
// of failures and prints each.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "kernels/gemm_internal.h"
#include "kernels/norm.h"
#include "kernels/vmath.h"

namespace bt::nonfinite {

inline const float kNaN = std::numeric_limits<float>::quiet_NaN();
inline const float kInf = std::numeric_limits<float>::infinity();

// Same class (NaN, +inf, -inf, finite) and, when finite, close.
inline bool Same(double want, float got, double tol) {
  if (std::fabs(want) > std::numeric_limits<float>::max()) want = want > 0 ? kInf : -kInf;  // rounds to ±inf in float
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return std::isinf(got) && (want > 0) == (got > 0);
  if (!std::isfinite(got)) return false;
  return std::fabs(got - want) <= tol * std::max(1.0, std::fabs(want));
}

inline int Report(bool ok, const char* what, int lane, float x, double want, float got) {
  if (ok) return 0;
  std::printf("FAIL nonfinite %s lane %d: x=%g want %g got %g\n", what, lane, x, want, got);
  return 1;
}

// Rows of n values, each with one special value at one lane (every lane of a 4-group and the
// scalar tail are reached) among ordinary values.
inline std::vector<std::vector<float>> Rows(int n) {
  std::vector<std::vector<float>> rows;
  for (float special : {kNaN, kInf, -kInf}) {
    for (int at = 0; at < n; ++at) {
      std::vector<float> row(n);
      for (int i = 0; i < n; ++i) row[i] = 0.37f * static_cast<float>(i % 7) - 1.1f;
      row[at] = special;
      rows.push_back(row);
    }
  }
  std::vector<float> all_neg_inf(n, -kInf);
  rows.push_back(all_neg_inf);
  return rows;
}

inline double GeluErfRef(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
inline double GeluTanhRef(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

inline int CheckElementwise() {
  int failures = 0;
  const std::vector<float> xs = {kNaN, kInf, -kInf, 0.0f, 1.0f, -1.0f, 88.5f, 89.0f, 120.0f, -88.0f, -100.0f,
                                 3e38f, -3e38f, 1e13f, -1e13f, 4.0f, -4.0f, -kNaN};
  // vmath directly, every lane position.
  for (int lane = 0; lane < 4; ++lane) {
    for (float x : xs) {
      vmath::v4f v = vmath::Splat(0.5f);
      v[lane] = x;
      const vmath::v4f e = vmath::Exp(v), f = vmath::Erf(v);
      failures += Report(Same(std::exp(static_cast<double>(x)), e[lane], 4e-7), "Exp", lane, x, std::exp(double(x)), e[lane]);
      failures += Report(Same(std::erf(static_cast<double>(x)), f[lane], 2e-7), "Erf", lane, x, std::erf(double(x)), f[lane]);
      // The other lanes are untouched by the special one.
      const int other = (lane + 1) % 4;
      failures += Report(Same(std::exp(0.5), e[other], 4e-7), "Exp(other lane)", other, 0.5f, std::exp(0.5), e[other]);
      if (!(x > 0.0f)) {  // the softmax's exp: x <= 0 and NaN
        vmath::v4f u = vmath::Splat(-0.5f);
        u[lane] = x;
        const vmath::v4f g = vmath::ExpNonPositive(u);
        failures += Report(Same(std::exp(static_cast<double>(x)), g[lane], 4e-7), "ExpNonPositive", lane, x, std::exp(double(x)), g[lane]);
        failures += Report(Same(std::exp(-0.5), g[other], 4e-7), "ExpNonPositive(other lane)", other, -0.5f, std::exp(-0.5), g[other]);
      }
    }
  }
  // GELU (both forms), vector and scalar reference, ReLU and tanh: arrays of odd length so the
  // tail path is reached too.
  for (int n : {1, 3, 4, 5, 9}) {
    for (const auto& row : Rows(n)) {
      for (Activation act : {Activation::kGeluErf, Activation::kGeluTanh, Activation::kRelu, Activation::kTanh}) {
        for (int variant = 0; variant < 2; ++variant) {
          std::vector<float> y = row;
          if (variant == 0) {
            ApplyActivation(act, y.data(), n);
          } else {
            ApplyActivationReference(act, y.data(), n);
          }
          for (int i = 0; i < n; ++i) {
            const double x = row[i];
            double want = 0;
            switch (act) {
              case Activation::kGeluErf: want = GeluErfRef(x); break;
              case Activation::kGeluTanh: want = GeluTanhRef(x); break;
              case Activation::kRelu: want = std::isnan(x) ? x : (x > 0 ? x : 0.0); break;
              case Activation::kTanh: want = std::tanh(x); break;
              default: break;
            }
            const char* name = act == Activation::kGeluErf ? (variant ? "gelu_erf ref" : "gelu_erf")
                               : act == Activation::kGeluTanh ? (variant ? "gelu_tanh ref" : "gelu_tanh")
                               : act == Activation::kRelu ? "relu" : "tanh";
            failures += Report(Same(want, y[i], 1e-6), name, i, row[i], want, y[i]);
          }
        }
      }
    }
  }
  return failures;
}

inline int CheckRows() {
  int failures = 0;
  for (int n : {1, 3, 4, 5, 8, 9, 13}) {
    for (const auto& row : Rows(n)) {
      // Softmax: torch's statement (max-subtracted exp over the sum) in double.
      double m = -std::numeric_limits<double>::infinity();
      for (float v : row) m = (std::isnan(v) || std::isnan(m)) ? std::nan("") : std::max(m, double(v));
      std::vector<double> want(n);
      double sum = 0;
      for (int i = 0; i < n; ++i) sum += (want[i] = std::exp(row[i] - m));
      std::vector<float> y = row;
      SoftmaxRow(y.data(), n);
      for (int i = 0; i < n; ++i) failures += Report(Same(want[i] / sum, y[i], 1e-6), "softmax", i, row[i], want[i] / sum, y[i]);

      // LayerNorm (gamma 1.5, beta 0.25): the two-pass statement in double.
      double mean = 0, var = 0;
      for (float v : row) mean += v;
      mean /= n;
      for (float v : row) var += (v - mean) * (v - mean);
      var /= n;
      std::vector<float> gamma(n, 1.5f), beta(n, 0.25f);
      y = row;
      LayerNorm(y.data(), 1, n, gamma.data(), beta.data(), 1e-12f, DefaultThreadPool());
      for (int i = 0; i < n; ++i) {
        const double w = (row[i] - mean) / std::sqrt(var + 1e-12) * 1.5 + 0.25;
        failures += Report(Same(w, y[i], 1e-5), "layernorm", i, row[i], w, y[i]);
      }
    }
  }
  return failures;
}

// An int8 linear (7-bit activations quantised per row, linear_q8.cc) with a NaN or ±Inf in an input
// row: that row's outputs are all NaN (NaN: the row's scale is NaN; ±Inf: scale inf times its
// all-zero quantised row), as float32 gives NaN or ±Inf — before, the range ignored NaN and a NaN row
// came out finite. Every other row is bitwise the output of the same call on the row made finite (rows
// are independent), and the c2 and c4 layouts agree bitwise. The microkernels see only the quantised
// integers, so the scalar, SIMD128 and relaxed-SIMD kernels agree here as on any row.
inline int CheckQ8Rows() {
  int failures = 0;
  for (int k : {1, 3, 4, 5, 8, 13, 64, 771}) {
    const int n = 19;
    std::vector<float> w(static_cast<size_t>(n) * k), bias(n);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.01f * static_cast<float>(static_cast<int>(i * 37 % 41) - 20);
    for (int j = 0; j < n; ++j) bias[j] = 0.1f * static_cast<float>(j % 5) - 0.2f;
    // Rows(k) (a special value at every lane, then an all -inf row), each followed by a finite row.
    std::vector<float> x, clean;
    std::vector<bool> special;
    for (const auto& row : Rows(k)) {
      for (int copy = 0; copy < 2; ++copy) {
        for (int i = 0; i < k; ++i) {
          const float ordinary = 0.37f * static_cast<float>(i % 7) - 1.1f + 0.01f * static_cast<float>(x.size() % 13);
          x.push_back(copy == 0 ? row[i] : ordinary);
          clean.push_back(copy == 0 && !std::isfinite(row[i]) ? ordinary : x.back());
        }
        special.push_back(copy == 0);
      }
    }
    const int m = static_cast<int>(special.size());
    std::vector<float> y2(static_cast<size_t>(m) * n), y4(y2.size()), c2(y2.size());
    auto p2 = PackLinearQ8WithLayout(w.data(), bias.data(), n, k, 2);
    auto p4 = PackLinearQ8WithLayout(w.data(), bias.data(), n, k, 4);
    LinearForward(*p2, x.data(), m, Activation::kNone, nullptr, y2.data(), DefaultThreadPool());
    LinearForward(*p4, x.data(), m, Activation::kNone, nullptr, y4.data(), DefaultThreadPool());
    LinearForward(*p2, clean.data(), m, Activation::kNone, nullptr, c2.data(), DefaultThreadPool());
    if (std::memcmp(y2.data(), y4.data(), sizeof(float) * y2.size()) != 0) {
      std::printf("FAIL nonfinite q8 linear k=%d: c2 and c4 differ\n", k);
      ++failures;
    }
    for (int r = 0; r < m; ++r) {
      for (int j = 0; j < n; ++j) {
        const size_t at = static_cast<size_t>(r) * n + j;
        const bool ok = special[r] ? std::isnan(y2[at]) : std::memcmp(&y2[at], &c2[at], sizeof(float)) == 0;
        if (!ok) {
          std::printf("FAIL nonfinite q8 linear k=%d row %d (%s) col %d: got %g, want %g\n", k, r,
                      special[r] ? "non-finite" : "finite", j, y2[at], special[r] ? std::nan("") : c2[at]);
          ++failures;
        }
      }
    }
  }
  return failures;
}

inline int CheckAll() { return CheckElementwise() + CheckRows() + CheckQ8Rows(); }

}  // namespace bt::nonfinite
