// Int8 quantisation: weights per output channel at pack time (c2 panel layout, gemm_internal.h)
// and activations per row at run time. Both symmetric, round to nearest even, range [-127, 127].
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "kernels/gemm_internal.h"
#include "kernels/gemm_q8.h"
#include "kernels/vmath.h"

namespace bt {
namespace {

// max |x[i]|, 4 lanes at a time; NaN never wins a comparison, so NaN entries are ignored.
float MaxAbs(const float* x, int32_t n) {
  vmath::v4f vmax = vmath::Splat(0.0f);
  const int32_t n4 = n & ~3;
  for (int32_t i = 0; i < n4; i += 4) {
    const vmath::v4f v = vmath::Load(x + i);
    vmax = vmath::Max(vmath::Max(v, -v), vmax);
  }
  float m = vmath::HorizontalMax(vmax);
  for (int32_t i = n4; i < n; ++i) m = std::fabs(x[i]) > m ? std::fabs(x[i]) : m;
  return m;
}

// NaN (a NaN weight, or an infinite one times 0) becomes 0: converting NaN to int is undefined
// (fuzzing, tests/fuzz/FINDINGS.md F5).
inline int32_t RoundClamp127(float v) {
  const float r = std::nearbyint(v);
  return r > 127.0f ? 127 : (r < -127.0f ? -127 : (r == r ? static_cast<int32_t>(r) : 0));
}

}  // namespace

PackedLinearQ8::~PackedLinearQ8() { AlignedFree(data_); }

void QuantizeWeightRowQ8(const float* w, int32_t k, int8_t* q, float* scale) {
  const float max_abs = MaxAbs(w, k);
  const float inv = max_abs > 0.0f ? 127.0f / max_abs : 0.0f;
  *scale = max_abs / 127.0f;
  bool nan = false;
  for (int32_t kk = 0; kk < k; ++kk) {
    nan |= w[kk] != w[kk];
    q[kk] = static_cast<int8_t>(RoundClamp127(w[kk] * inv));
  }
  // NaN in, NaN out (as in float32): a row holding NaN gets a NaN scale, so its outputs are NaN.
  if (nan) *scale = std::numeric_limits<float>::quiet_NaN();
}

namespace {

// Places one quantised row of W (output column `col`) into its panel.
void PlaceQ8Row(const int8_t* q, float scale, const float* bias, int32_t col, int32_t k, PackedLinearQ8& packed) {
  const size_t p = static_cast<size_t>(col / kGemmNR);
  const int32_t j = col % kGemmNR;
  const_cast<float*>(packed.bias(p))[j] = bias != nullptr ? bias[col] : 0.0f;
  const_cast<float*>(packed.scale(p))[j] = scale;
  int8_t* pw = const_cast<int8_t*>(packed.weights(p));
  // Pair kk/2 holds 16 bytes: cols 0-3 as (k even, k odd), then cols 4-7.
  for (int32_t kk = 0; kk < k; ++kk) {
    pw[static_cast<size_t>(kk / 2) * 16 + (j / 4) * 8 + (j % 4) * 2 + (kk % 2)] = q[kk];
  }
}

// Quantises rows [row0, row0 + count) of W (given as w [count, k]) into their panels.
void PackQ8Rows(const float* w, const float* bias, int32_t row0, int32_t count, int32_t k, PackedLinearQ8& packed) {
  std::vector<int8_t> q(static_cast<size_t>(k));
  for (int32_t i = 0; i < count; ++i) {
    float scale = 0.0f;
    QuantizeWeightRowQ8(w + static_cast<size_t>(i) * k, k, q.data(), &scale);
    PlaceQ8Row(q.data(), scale, bias, row0 + i, k, packed);
  }
}

std::unique_ptr<PackedLinearQ8> AllocateQ8(int32_t n, int32_t k) {
  if (n <= 0 || k <= 0) return nullptr;
  PackedLinearQ8 shape(n, k, nullptr);  // layout arithmetic only; owns nothing
  void* data = AlignedAlloc(shape.bytes());
  if (data == nullptr) return nullptr;
  std::memset(data, 0, shape.bytes());
  std::unique_ptr<PackedLinearQ8> packed(new (std::nothrow) PackedLinearQ8(n, k, data));
  if (packed == nullptr) AlignedFree(data);
  return packed;
}

}  // namespace

std::unique_ptr<PackedLinear> PackLinearQ8(const float* w, const float* bias, int32_t n, int32_t k) {
  std::unique_ptr<PackedLinearQ8> packed = AllocateQ8(n, k);
  if (packed == nullptr) return nullptr;
  PackQ8Rows(w, bias, 0, n, k, *packed);
  return packed;
}

std::unique_ptr<PackedLinear> PackLinearQ8(const WeightRowSource& rows, const float* bias, int32_t n, int32_t k) {
  std::unique_ptr<PackedLinearQ8> packed = AllocateQ8(n, k);
  if (packed == nullptr) return nullptr;
  const bool read = ForEachWeightChunk(rows, n, k, [&](int32_t row0, int32_t count, const float* w) {
    PackQ8Rows(w, bias, row0, count, k, *packed);
  });
  if (!read) return nullptr;
  return packed;
}

std::unique_ptr<PackedLinear> PackLinearQ8FromInt8(const Q8WeightRowSource& rows, const float* bias, int32_t n,
                                                   int32_t k) {
  std::unique_ptr<PackedLinearQ8> packed = AllocateQ8(n, k);
  if (packed == nullptr) return nullptr;
  const int32_t chunk = std::min(n, WeightRowChunk(k));
  std::vector<int8_t> q(static_cast<size_t>(chunk) * k);
  std::vector<float> scales(static_cast<size_t>(chunk));
  for (int32_t row0 = 0; row0 < n; row0 += chunk) {
    const int32_t count = std::min(chunk, n - row0);
    if (!rows(row0, count, q.data(), scales.data())) return nullptr;
    for (int32_t i = 0; i < count; ++i) PlaceQ8Row(q.data() + static_cast<size_t>(i) * k, scales[i], bias, row0 + i, k, *packed);
  }
  return packed;
}

size_t Q8TileElements(int32_t m, size_t kp) {
  return static_cast<size_t>((m + kGemmMR - 1) / kGemmMR) * kGemmMR * 2 * kp;
}

void QuantizeRowsQ8(const float* x, int32_t row_begin, int32_t row_end, int32_t k, size_t kp, int16_t* q,
                    float* scale) {
  using vmath::v4f;
  using vmath::v4i;
  // Adding and subtracting 1.5·2^23 rounds |v| < 2^22 to the nearest integer, ties to even — what
  // nearbyint does in the default rounding mode — four lanes at a time.
  const v4f magic = vmath::Splat(12582912.0f), lo = vmath::Splat(-127.0f), hi = vmath::Splat(127.0f);
  for (int32_t r = row_begin; r < row_end; ++r) {
    const float* row = x + static_cast<size_t>(r) * k;
    // Row r of tile r/4: its pair p sits at p*8 + (r%4)*2.
    int16_t* qr = q + static_cast<size_t>(r / kGemmMR) * kGemmMR * 2 * kp + static_cast<size_t>(r % kGemmMR) * 2;
    const float max_abs = MaxAbs(row, k);
    const int32_t k4 = k & ~3;
    const float inv = max_abs > 0.0f ? 127.0f / max_abs : 0.0f;
    scale[r] = max_abs / 127.0f;
    const v4f vinv = vmath::Splat(inv);
    for (int32_t kk = 0; kk < k4; kk += 4) {
      v4f v = vmath::Load(row + kk) * vinv;
      v = (v + magic) - magic;
      const v4i iv = __builtin_convertvector(vmath::Min(vmath::Max(v, lo), hi), v4i);
      int16_t* d = qr + static_cast<size_t>(kk / 2) * 2 * kGemmMR;  // pairs kk/2 and kk/2 + 1
      d[0] = static_cast<int16_t>(iv[0]);
      d[1] = static_cast<int16_t>(iv[1]);
      d[2 * kGemmMR] = static_cast<int16_t>(iv[2]);
      d[2 * kGemmMR + 1] = static_cast<int16_t>(iv[3]);
    }
    for (int32_t kk = k4; kk < k; ++kk) {
      qr[static_cast<size_t>(kk / 2) * 2 * kGemmMR + kk % 2] = static_cast<int16_t>(RoundClamp127(row[kk] * inv));
    }
    if (k % 2 != 0) qr[static_cast<size_t>(k / 2) * 2 * kGemmMR + 1] = 0;
  }
}

void ZeroQ8PaddingRows(int32_t m, size_t kp, int16_t* q) {
  const int32_t padded = (m + kGemmMR - 1) / kGemmMR * kGemmMR;
  for (int32_t r = m; r < padded; ++r) {
    int16_t* qr = q + static_cast<size_t>(r / kGemmMR) * kGemmMR * 2 * kp + static_cast<size_t>(r % kGemmMR) * 2;
    for (size_t p = 0; p < kp; ++p) qr[p * 2 * kGemmMR] = 0, qr[p * 2 * kGemmMR + 1] = 0;
  }
}

}  // namespace bt
