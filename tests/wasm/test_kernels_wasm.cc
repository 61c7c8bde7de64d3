// The wasm SIMD128 (and, in the relaxed programs, relaxed-SIMD) microkernels against their scalar
// references, run inside Node (ctest in build/wasm: Node 20 via the crosscompiling emulator for
// SIMD128, Node 22 and 24 for the relaxed kernels) and inside Chromium (tests/browser). gtest is not available for emscripten here, so
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
#include "kernels/gemm_q8.h"
#include "kernels/norm.h"
#include "kernels/vmath.h"
#include "../native/decode_checks.h"
#include "../native/nonfinite_checks.h"

// The relaxed-SIMD c4 kernels: linked into the relaxed test programs only.
extern "C" __attribute__((weak)) const struct bt_relaxed_q8_kernels* bt_relaxed_q8_kernels_get(void);

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

// The attention's fused softmax + packing (vmath, SIMD128 here) against scale + SoftmaxRow +
// the scalar f32_pack_a4, bitwise.
void CheckScaledSoftmaxPack4() {
  for (size_t n : {1, 3, 4, 5, 32, 33, 128, 130}) {
    for (size_t mr = 1; mr <= bt::kGemmMR; ++mr) {
      const size_t stride = (n + 7) / 8 * 8;
      auto tile = Random(4 * stride, 7 + n);
      for (float& x : tile) x *= 40.0f;
      std::vector<float> want_rows = tile, got_rows = tile;
      for (size_t r = 0; r < mr; ++r) {
        for (size_t t = 0; t < n; ++t) want_rows[r * stride + t] *= 0.17677669f;
        bt::SoftmaxRow(want_rows.data() + r * stride, static_cast<int32_t>(n));
      }
      std::vector<float> want(4 * n), got(4 * n);
      bt::f32_pack_a4__scalar(mr, n, want_rows.data(), stride, want.data());
      float inv[4];
      bt::ScaledSoftmaxPack4(mr, static_cast<int32_t>(n), 0.17677669f, got_rows.data(), stride, got.data(), inv);
      Check(std::memcmp(want.data(), got.data(), sizeof(float) * want.size()) == 0, "ScaledSoftmaxPack4", mr, 0, n);
    }
  }
}

// vmath::Min/Max are f32x4.pmin/pmax here: the compare + select they stand for, bitwise, on every
// pair of special values (NaN, signed zeros, infinities) and random ones.
void CheckMinMax() {
  using bt::vmath::v4f;
  const float nan = std::nanf(""), inf = INFINITY;
  std::vector<float> xs = {0.0f, -0.0f, nan, -nan, inf, -inf, 1.0f, -1.0f, 1e-40f, -87.5f};
  const auto r = Random(64, 3);
  xs.insert(xs.end(), r.begin(), r.end());
  for (float a : xs) {
    for (float b : xs) {
      const v4f va = bt::vmath::Splat(a), vb = bt::vmath::Splat(b);
      const float mx = bt::vmath::Max(va, vb)[1], mn = bt::vmath::Min(va, vb)[2];
      const float want_mx = a > b ? a : b, want_mn = a < b ? a : b;
      Check(std::memcmp(&mx, &want_mx, 4) == 0 && std::memcmp(&mn, &want_mn, 4) == 0, "vmath Min/Max = compare + select", 0, 0, 0);
    }
  }
}

void CheckQ8() {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> qa(0, 127), qw(-127, 127);
  for (size_t kp : {1, 2, 3, 8, 33, 384}) {
    for (size_t nc : {8, 16, 64}) {
      const size_t w_stride = 16 * kp + 32, c_stride = nc + 3;
      std::vector<int16_t> a(8 * kp);
      for (auto& v : a) v = static_cast<int16_t>(qa(rng));
      std::vector<int8_t> w(w_stride * (nc / 8));
      for (auto& v : w) v = static_cast<int8_t>(qw(rng));
      std::vector<int32_t> c_ref(4 * c_stride, -1), c_simd(4 * c_stride, -1);
      bt::qd8_qc8w_ppmm_ukernel_4x8c2__scalar(nc, kp, a.data(), w.data(), w_stride, c_ref.data(), c_stride);
      bt::qd8_qc8w_ppmm_ukernel_4x8c2__wasmsimd_dot16x2(nc, kp, a.data(), w.data(), w_stride, c_simd.data(), c_stride);
      Check(c_ref == c_simd, "qd8_qc8w_ppmm_4x8c2", 4, nc, kp);
    }
  }
}

// The relaxed-SIMD c4 kernels (when linked) against the scalar c4 reference: random values, and the
// extremes (activations 0/127 against weights -64/64, the 7-bit weight range: the largest 16-bit sums
// of the pmaddubsw lowering — two pair sums added before widening in dot16 — and the values a sign or
// saturation mistake of a runtime would show), over odd and even quad counts.
void CheckQ8C4() {
  if (bt_relaxed_q8_kernels_get == nullptr) return;
  const bt_relaxed_q8_kernels* relaxed = bt_relaxed_q8_kernels_get();
  std::mt19937 rng(8);
  constexpr int kW = bt::kQ8WeightMax;
  std::uniform_int_distribution<int> qa(0, 127), qw(-kW, kW), pick(0, 3);
  for (int extreme = 0; extreme < 3; ++extreme) {
    for (size_t kq : {1, 2, 3, 8, 33, 192, 768}) {
      for (size_t nc : {8, 16, 64}) {
        const size_t w_stride = 32 * kq + 64, c_stride = nc + 3;
        std::vector<int8_t> a(16 * kq), w(w_stride * (nc / 8));
        for (auto& v : a) v = static_cast<int8_t>(extreme == 0 ? qa(rng) : extreme == 1 ? 127 : (pick(rng) ? 127 : 0));
        for (auto& v : w) v = static_cast<int8_t>(extreme == 0 ? qw(rng) : extreme == 1 ? -kW : (pick(rng) < 2 ? kW : -kW));
        std::vector<int32_t> c_ref(4 * c_stride, -1), c_add(4 * c_stride, -1), c_dot16(4 * c_stride, -1);
        bt::qd8_qc8w_ppmm_ukernel_4x8c4__scalar(nc, kq, a.data(), w.data(), w_stride, c_ref.data(), c_stride);
        relaxed->dot_add(nc, kq, a.data(), w.data(), w_stride, c_add.data(), c_stride);
        relaxed->dot16(nc, kq, a.data(), w.data(), w_stride, c_dot16.data(), c_stride);
        Check(c_ref == c_add, extreme ? "qd8_qc8w_ppmm_4x8c4 relaxed dot_add (extremes)" : "qd8_qc8w_ppmm_4x8c4 relaxed dot_add", 4, nc, kq);
        Check(c_ref == c_dot16, extreme ? "qd8_qc8w_ppmm_4x8c4 relaxed dot16 (extremes)" : "qd8_qc8w_ppmm_4x8c4 relaxed dot16", 4, nc, kq);
        if (extreme == 1) Check(c_ref[0] == -kW * 127 * 4 * static_cast<int32_t>(kq), "c4 scalar extreme sum", 4, nc, kq);
      }
    }
  }
}

// int8 LinearForward: the build's layout against the other one, bitwise (so the relaxed and SIMD128
// builds agree), on rows with both signs, one sign, zeros.
void CheckLinearQ8Layouts() {
  for (int32_t k : {1, 5, 64, 301, 768}) {
    const int32_t m = 37, n = 70;
    auto x = Random(static_cast<size_t>(m) * k, 70 + k);
    for (int32_t i = 0; i < k; ++i) x[i] = x[i] < 0 ? -x[i] : x[i];
    for (int32_t i = 0; i < k; ++i) x[k + i] = 0.0f;
    const auto w = Random(static_cast<size_t>(n) * k, 71 + k), b = Random(n, 72);
    std::vector<float> y2(static_cast<size_t>(m) * n), y4(y2.size());
    auto c2 = bt::PackLinearQ8WithLayout(w.data(), b.data(), n, k, 2);
    auto c4 = bt::PackLinearQ8WithLayout(w.data(), b.data(), n, k, 4);
    bt::LinearForward(*c2, x.data(), m, bt::Activation::kGeluErf, nullptr, y2.data(), bt::DefaultThreadPool());
    bt::LinearForward(*c4, x.data(), m, bt::Activation::kGeluErf, nullptr, y4.data(), bt::DefaultThreadPool());
    Check(std::memcmp(y2.data(), y4.data(), sizeof(float) * y2.size()) == 0, "LinearForward q8 c2 vs c4 bitwise",
          static_cast<size_t>(m), static_cast<size_t>(n), static_cast<size_t>(k));
  }
}

// The f32 weight-panel packer (SIMD128 build of the 128-bit kernel) against its scalar reference:
// the same bytes, and every NaN / ±Inf flagged by the check variant (validate_weights at load).
void CheckPackW8() {
  const float bads[3] = {NAN, INFINITY, -INFINITY};
  for (size_t k : {1, 3, 4, 5, 64, 771}) {
    for (size_t nc = 1; nc <= static_cast<size_t>(bt::kGemmNR); ++nc) {
      auto w = Random(nc * k, 90 + k);
      const size_t size = bt::kGemmNR * k;
      std::vector<float> want(size), got(size), got_checked(size);
      bt::f32_pack_w8__scalar(nc, k, w.data(), want.data());
      bt::f32_pack_w8__vec128(nc, k, w.data(), got.data());
      const bool flagged = bt::f32_pack_w8_check__vec128(nc, k, w.data(), got_checked.data());
      Check(std::memcmp(want.data(), got.data(), size * 4) == 0 && std::memcmp(want.data(), got_checked.data(), size * 4) == 0 &&
                !flagged, "f32_pack_w8 vec128 vs scalar", 0, nc, k);
      for (size_t at = 0; at < nc * k; at += nc * k > 200 ? 37 : 1) {
        for (float bad : bads) {
          auto x = w;
          x[at] = bad;
          const bool scalar = bt::f32_pack_w8_check__scalar(nc, k, x.data(), want.data());
          const bool vec = bt::f32_pack_w8_check__vec128(nc, k, x.data(), got.data());
          Check(scalar && vec && std::memcmp(want.data(), got.data(), size * 4) == 0, "f32_pack_w8_check flags NaN/Inf", 0, nc, k);
        }
      }
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

// Activation quantisation (vmath, 4 lanes) against its definition (gemm_internal.h), element by
// element, in both layouts.
void CheckQuantize() {
  for (int kr : {2, 4}) {
    for (int32_t k : {1, 3, 4, 5, 8, 13, 768, 771}) {
      const int32_t m = 6;
      const size_t padded_k = (k + kr - 1) / kr * kr;
      auto x = Random(static_cast<size_t>(m) * k, 40 + k);
      for (float& v : x) v *= 3.0f;
      for (int32_t i = 0; i < k; ++i) x[k + i] = x[k + i] < 0 ? -x[k + i] : x[k + i];  // one-signed row
      std::vector<uint8_t> q(bt::Q8TileBytes(m, padded_k, kr), 99);
      std::vector<float> scale(m);
      std::vector<int32_t> zero(m);
      bt::QuantizeRowsQ8(x.data(), 0, m, k, padded_k, kr, q.data(), scale.data(), zero.data());
      bool ok = true;
      for (int32_t r = 0; r < m; ++r) {
        const float* row = x.data() + static_cast<size_t>(r) * k;
        float lo = 0.0f, hi = 0.0f;
        for (int32_t i = 0; i < k; ++i) lo = row[i] < lo ? row[i] : lo, hi = row[i] > hi ? row[i] : hi;
        const float inv = hi - lo > 0.0f ? 127.0f / (hi - lo) : 0.0f;
        const float z = std::nearbyint(-lo * inv);
        ok = ok && scale[r] == (hi - lo) / 127.0f && zero[r] == static_cast<int32_t>(z);
        for (int32_t i = 0; i < static_cast<int32_t>(padded_k); ++i) {
          float v = i < k ? std::nearbyint(row[i] * inv) + z : 0.0f;
          v = v < 0.0f ? 0.0f : (v > 127.0f ? 127.0f : v);
          ok = ok && bt::Q8ActivationAt(q.data(), padded_k, kr, r, i) == static_cast<int32_t>(v);
        }
      }
      Check(ok, kr == 2 ? "QuantizeRowsQ8 c2 vs definition" : "QuantizeRowsQ8 c4 vs definition", static_cast<size_t>(m), 0,
            static_cast<size_t>(k));
    }
  }
}
#endif

}  // namespace

int main() {
#if defined(__wasm_simd128__)
  CheckF32();
  CheckScaledSoftmaxPack4();
  CheckMinMax();
  const bool relaxed = bt_relaxed_q8_kernels_get != nullptr;
#if defined(BT_EXPECT_RELAXED)
  if (!relaxed) {
    std::printf("FAIL: the relaxed-SIMD kernels are not linked into this program\n");
    return 1;
  }
#endif
  CheckQ8();
  CheckQ8C4();
  CheckLinear();
  CheckPackW8();
  CheckLinearQ8Layouts();
  CheckQuantize();
  failures += bt::decode_checks::CheckAll();  // binary16 → float32 and the int8 range check
  failures += bt::nonfinite::CheckAll();  // NaN/±Inf lanes through vmath, GELU, softmax, LayerNorm
  std::printf("%s: wasm SIMD kernels vs scalar references (%s; int8 kernel in use: %s)\n", failures == 0 ? "PASS" : "FAIL",
              relaxed ? "relaxed SIMD: dot_add and dot16 checked" : "SIMD128", bt::Q8KernelName());
#else
  std::printf("SKIP: not a wasm SIMD build\n");
#endif
  return failures == 0 ? 0 : 1;
}
