// The wasm SIMD128 microkernels against their scalar references, run inside Node (ctest in
// build/wasm, via the crosscompiling emulator). gtest is not available for emscripten here, so
// this is a plain program: it prints every mismatch and exits non-zero if there was one.
// Native builds test the vec128/SSE2 variants in tests/native; this covers the wasm-only ones.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_internal.h"
#include "../native/nonfinite_checks.h"

namespace {

int failures = 0;

void Check(bool ok, const char* what, size_t mr, size_t nc, size_t kc) {
  if (ok) return;
  ++failures;
  std::printf("FAIL %s mr=%zu nc=%zu kc=%zu\n", what, mr, nc, kc);
}

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

#if defined(__wasm_simd128__)
void CheckF32() {
  for (size_t kc : {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 64, 768}) {
    for (size_t mr = 1; mr <= bt::kGemmMR; ++mr) {
      const size_t a_stride = kc + 3;
      const auto a = Random(bt::kGemmMR * a_stride, 1 + kc);
      std::vector<float> packed(kc * bt::kGemmMR), packed_simd(kc * bt::kGemmMR);
      bt::f32_pack_a4__scalar(mr, kc, a.data(), a_stride, packed.data());
      bt::f32_pack_a4__wasmsimd(mr, kc, a.data(), a_stride, packed_simd.data());
      Check(std::memcmp(packed.data(), packed_simd.data(), sizeof(float) * packed.size()) == 0, "f32_pack_a4", mr, 0, kc);
      for (size_t nc : {8, 16, 64}) {
        const size_t w_stride = kc * bt::kGemmNR + 8, c_stride = nc + 5;
        const auto w = Random(w_stride * (nc / bt::kGemmNR), 2 + kc);
        auto c_ref = Random(bt::kGemmMR * c_stride, 3);
        auto c_simd = c_ref;
        bt::f32_ppmm_ukernel_4x8__scalar(mr, nc, kc, packed.data(), w.data(), w_stride, c_ref.data(), c_stride);
        bt::f32_ppmm_ukernel_4x8__wasmsimd(mr, nc, kc, packed.data(), w.data(), w_stride, c_simd.data(), c_stride);
        Check(std::memcmp(c_ref.data(), c_simd.data(), sizeof(float) * c_ref.size()) == 0, "f32_ppmm_4x8", mr, nc, kc);
      }
    }
  }
}

void CheckQ8() {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> q(-127, 127);
  for (size_t kp : {1, 2, 3, 8, 33, 384}) {
    for (size_t nc : {8, 16, 64}) {
      const size_t w_stride = 16 * kp + 32, c_stride = nc + 3;
      std::vector<int16_t> a(8 * kp);
      for (auto& v : a) v = static_cast<int16_t>(q(rng));
      std::vector<int8_t> w(w_stride * (nc / 8));
      for (auto& v : w) v = static_cast<int8_t>(q(rng));
      std::vector<int32_t> c_ref(4 * c_stride, -1), c_simd(4 * c_stride, -1);
      bt::qd8_qc8w_ppmm_ukernel_4x8c2__scalar(nc, kp, a.data(), w.data(), w_stride, c_ref.data(), c_stride);
      bt::qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2(nc, kp, a.data(), w.data(), w_stride, c_simd.data(), c_stride);
      Check(c_ref == c_simd, "qd8_qc8w_ppmm_4x8c2", 4, nc, kp);
    }
  }
}

// The whole f32 driver (packing, blocking, epilogue) against the plain-loop reference.
void CheckLinear() {
  for (int32_t m : {1, 5, 64, 130}) {
    for (int32_t n : {7, 64, 130}) {
      for (int32_t k : {3, 64, 1100}) {
        const auto x = Random(static_cast<size_t>(m) * k, 11), w = Random(static_cast<size_t>(n) * k, 12);
        const auto b = Random(n, 13);
        std::vector<float> want(static_cast<size_t>(m) * n), got(want.size());
        bt::LinearReference(w.data(), b.data(), n, k, x.data(), m, bt::Activation::kNone, nullptr, want.data());
        auto packed = bt::PackLinearF32(w.data(), b.data(), n, k);
        bt::LinearForward(*packed, x.data(), m, bt::Activation::kNone, nullptr, got.data(), bt::DefaultThreadPool());
        bool ok = true;
        for (size_t i = 0; i < want.size(); ++i) {
          const float d = got[i] - want[i], tol = 1e-5f * (1.0f + (want[i] < 0 ? -want[i] : want[i]));
          ok = ok && d <= tol && -d <= tol;
        }
        Check(ok, "LinearForward f32 vs reference", static_cast<size_t>(m), static_cast<size_t>(n), static_cast<size_t>(k));
      }
    }
  }
}

// Activation quantisation (vmath, 4 lanes) against its definition, element by element.
void CheckQuantize() {
  for (int32_t k : {1, 3, 4, 5, 8, 13, 768, 771}) {
    const int32_t m = 6;
    const size_t kp = (k + 1) / 2;
    auto x = Random(static_cast<size_t>(m) * k, 40 + k);
    for (float& v : x) v *= 3.0f;
    std::vector<int16_t> q(bt::Q8TileElements(m, kp), 99);
    std::vector<float> scale(m);
    bt::QuantizeRowsQ8(x.data(), 0, m, k, kp, q.data(), scale.data());
    bool ok = true;
    for (int32_t r = 0; r < m; ++r) {
      const float* row = x.data() + static_cast<size_t>(r) * k;
      float max_abs = 0.0f;
      for (int32_t i = 0; i < k; ++i) max_abs = std::fabs(row[i]) > max_abs ? std::fabs(row[i]) : max_abs;
      const float inv = max_abs > 0.0f ? 127.0f / max_abs : 0.0f;
      ok = ok && scale[r] == max_abs / 127.0f;
      const int16_t* qr = q.data() + static_cast<size_t>(r / bt::kGemmMR) * bt::kGemmMR * 2 * kp + (r % bt::kGemmMR) * 2;
      for (int32_t i = 0; i < k; ++i) {
        ok = ok && qr[(i / 2) * 2 * bt::kGemmMR + i % 2] == static_cast<int16_t>(std::nearbyint(row[i] * inv));
      }
    }
    Check(ok, "QuantizeRowsQ8 vs definition", static_cast<size_t>(m), 0, static_cast<size_t>(k));
  }
}
#endif

}  // namespace

int main() {
#if defined(__wasm_simd128__)
  CheckF32();
  CheckQ8();
  CheckLinear();
  CheckQuantize();
  failures += bt::nonfinite::CheckAll();  // NaN/±Inf lanes through vmath, GELU, softmax, LayerNorm
  std::printf("%s: wasm SIMD kernels vs scalar references\n", failures == 0 ? "PASS" : "FAIL");
#else
  std::printf("SKIP: not a wasm SIMD build\n");
#endif
  return failures == 0 ? 0 : 1;
}
