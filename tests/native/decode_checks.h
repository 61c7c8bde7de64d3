// The weight-decoding kernels (kernels/decode.h) against their scalar references, bit for bit:
// every one of the 65,536 binary16 values at every offset of an 8-lane block and in the scalar tail
// (with the first Inf/NaN index), and the int8 range check with one value out of range at every position
// of a 4 KiB + tail buffer. Plain code (no gtest) so the wasm kernel test runs it too (SIMD128 there,
// SSE2 natively): returns the number of failures and prints each. The scalar HalfToFloat itself matches
// numpy's float16 → float32 on all 65,536 values (checked when this was written: python3-numpy 1.24).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kernels/decode.h"

namespace bt::decode_checks {

inline int CheckF16() {
  int failures = 0;
  // All halves in order, then shifted by 1..8 so every value meets every lane and the scalar tail.
  for (size_t shift = 0; shift <= 8; ++shift) {
    const size_t n = 65536 + shift + 3;  // + 3: a tail after the last full block
    std::vector<uint8_t> src(2 * n);
    for (size_t i = 0; i < n; ++i) {
      const auto h = static_cast<uint16_t>(i < shift ? 0x3c00u : (i - shift) & 0xffffu);
      std::memcpy(src.data() + 2 * i, &h, 2);
    }
    std::vector<float> want(n), got(n);
    const size_t bad_want = ConvertF16ToF32Reference(src.data(), n, want.data());
    const size_t bad_got = ConvertF16ToF32(src.data(), n, got.data());
    if (std::memcmp(want.data(), got.data(), 4 * n) != 0 || bad_want != bad_got) {
      ++failures;
      for (size_t i = 0; i < n; ++i) {
        if (std::memcmp(&want[i], &got[i], 4) != 0) {
          uint16_t h;
          std::memcpy(&h, src.data() + 2 * i, 2);
          std::printf("FAIL ConvertF16ToF32 half 0x%04x (shift %zu): %a want %a\n", h, shift, got[i], want[i]);
          break;
        }
      }
      if (bad_want != bad_got) std::printf("FAIL ConvertF16ToF32 first Inf/NaN %zu want %zu\n", bad_got, bad_want);
    }
  }
  // Finite inputs: no Inf/NaN reported; one Inf at each position of a short buffer (vector part and tail).
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t at = 0; at <= n; ++at) {
      std::vector<uint8_t> src(2 * n + 1);
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = i == at ? 0xfc00u : static_cast<uint16_t>(0x3800u + i);
        std::memcpy(src.data() + 2 * i, &h, 2);
      }
      std::vector<float> out(n + 1);
      const size_t got = ConvertF16ToF32(src.data(), n, out.data());
      if (got != at) {
        ++failures;
        std::printf("FAIL ConvertF16ToF32 n=%zu Inf at %zu reported at %zu\n", n, at, got);
      }
    }
  }
  return failures;
}

inline int CheckInt8Range() {
  int failures = 0;
  const size_t n = 4096 + 4096 + 21;
  std::vector<int8_t> q(n);
  for (int32_t max_abs : {0, 1, 63, 64, 126, 127}) {
    for (size_t i = 0; i < n; ++i) q[i] = static_cast<int8_t>(static_cast<int32_t>(i * 7 % (2 * max_abs + 1)) - max_abs);
    if (FindInt8OutOfRange(q.data(), n, max_abs) != n || FindInt8OutOfRangeReference(q.data(), n, max_abs) != n) {
      ++failures;
      std::printf("FAIL FindInt8OutOfRange: an in-range buffer (max_abs %d) reported out of range\n", max_abs);
    }
    const int bad_values[] = {max_abs + 1, -max_abs - 1, 127, -128};
    for (int bad : bad_values) {
      if (bad > 127 || (bad >= -max_abs && bad <= max_abs)) continue;
      for (size_t at = 0; at < n; at += (at < 64 || at > n - 64 || (at % 4096) < 32 ? 1 : 97)) {
        const int8_t keep = q[at];
        q[at] = static_cast<int8_t>(bad);
        if (at + 5 < n) q[at + 5] = static_cast<int8_t>(bad);  // a second one later: the first is reported
        const size_t want = FindInt8OutOfRangeReference(q.data(), n, max_abs);
        const size_t got = FindInt8OutOfRange(q.data(), n, max_abs);
        if (got != want || want != at) {
          ++failures;
          std::printf("FAIL FindInt8OutOfRange max_abs %d value %d at %zu: got %zu want %zu\n", max_abs, bad, at, got, want);
        }
        q[at] = keep;
        if (at + 5 < n) q[at + 5] = static_cast<int8_t>(static_cast<int32_t>((at + 5) * 7 % (2 * max_abs + 1)) - max_abs);
      }
    }
  }
  return failures;
}

inline int CheckAll() { return CheckF16() + CheckInt8Range(); }

}  // namespace bt::decode_checks
