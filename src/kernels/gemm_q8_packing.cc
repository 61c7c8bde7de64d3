// Int8 quantisation: weights per output channel at pack time (symmetric, [-64, 64]; c2 or c4 panel
// layout) and activations per row at run time (7-bit asymmetric, [0, 127]); see gemm_internal.h.
// Rounding is to nearest, ties to even, everywhere.
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
inline int32_t RoundClampWeight(float v) {
  constexpr float kMax = static_cast<float>(kQ8WeightMax);
  const float r = std::nearbyint(v);
  return r > kMax ? kQ8WeightMax : (r < -kMax ? -kQ8WeightMax : (r == r ? static_cast<int32_t>(r) : 0));
}

}  // namespace

PackedLinearQ8::~PackedLinearQ8() { AlignedFree(data_); }

void QuantizeWeightRowQ8(const float* w, int32_t k, int8_t* q, float* scale) {
  const float max_abs = MaxAbs(w, k);
  constexpr float kMax = static_cast<float>(kQ8WeightMax);
  const float inv = max_abs > 0.0f ? kMax / max_abs : 0.0f;
  *scale = max_abs / kMax;
  bool nan = false;
  for (int32_t kk = 0; kk < k; ++kk) {
    nan |= w[kk] != w[kk];
    q[kk] = static_cast<int8_t>(RoundClampWeight(w[kk] * inv));
  }
  // NaN in, NaN out (as in float32): a row holding NaN gets a NaN scale, so its outputs are NaN.
  if (nan) *scale = std::numeric_limits<float>::quiet_NaN();
}

void NarrowRowToQ8Weights(const int8_t* q8, float scale8, int32_t k, int8_t* q, float* scale) {
  int32_t m = 0;
  for (int32_t kk = 0; kk < k; ++kk) m = std::max(m, q8[kk] < 0 ? -static_cast<int32_t>(q8[kk]) : q8[kk]);
  // q8 * 64 is exact in float and so is the quotient's distance from a tie (>= 1 / (2m) >> one ulp):
  // nearbyint rounds the true quotient, half to even.
  for (int32_t kk = 0; kk < k; ++kk) {
    q[kk] = m > 0 ? static_cast<int8_t>(std::nearbyint(static_cast<float>(q8[kk] * kQ8WeightMax) / static_cast<float>(m))) : 0;
  }
  *scale = scale8 * static_cast<float>(m) / static_cast<float>(kQ8WeightMax);
}

namespace {

// Places one quantised row of W (output column `col`) into its panel, in the panel's layout (c2 or c4,
// PackedLinearQ8::WeightOffset), with the column's weight sum (the 7-bit activations' zero-point term).
// The one place that writes a q8 panel: load-time quantisation and stored int8 rows both come here.
void PlaceQ8Row(const int8_t* q, float scale, const float* bias, int32_t col, int32_t k, PackedLinearQ8& packed) {
  const size_t p = static_cast<size_t>(col / kGemmNR);
  const int32_t j = col % kGemmNR;
  const_cast<float*>(packed.bias(p))[j] = bias != nullptr ? bias[col] : 0.0f;
  const_cast<float*>(packed.scale(p))[j] = scale;
  int8_t* pw = const_cast<int8_t*>(packed.weights(p));
  int32_t sum = 0;
  for (int32_t kk = 0; kk < k; ++kk) sum += q[kk];
  const_cast<int32_t*>(packed.column_sums(p))[j] = sum;
  // A group of kr consecutive k is contiguous in the panel (WeightOffset): one kr-byte copy per group,
  // groups kGemmNR * kr bytes apart.
  const int kr = packed.kr();
  const int32_t groups = k / kr;
  int8_t* dst = pw + PackedLinearQ8::WeightOffset(kr, j, 0);
  const size_t stride = static_cast<size_t>(kGemmNR) * kr;
  if (kr == 4) {  // constant sizes: one 32-bit (16-bit) load and store, not a memcpy call
    for (int32_t g = 0; g < groups; ++g) std::memcpy(dst + g * stride, q + 4 * g, 4);
  } else {
    for (int32_t g = 0; g < groups; ++g) std::memcpy(dst + g * stride, q + 2 * g, 2);
  }
  for (int32_t kk = groups * kr; kk < k; ++kk) pw[PackedLinearQ8::WeightOffset(kr, j, kk)] = q[kk];
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

std::unique_ptr<PackedLinearQ8> AllocateQ8(int32_t n, int32_t k, int kr) {
  if (n <= 0 || k <= 0 || (kr != 2 && kr != 4)) return nullptr;
  PackedLinearQ8 shape(n, k, kr, nullptr);  // layout arithmetic only; owns nothing
  void* data = AlignedAlloc(shape.bytes());
  if (data == nullptr) return nullptr;
  std::memset(data, 0, shape.bytes());
  std::unique_ptr<PackedLinearQ8> packed(new (std::nothrow) PackedLinearQ8(n, k, kr, data));
  if (packed == nullptr) AlignedFree(data);
  return packed;
}

}  // namespace

std::unique_ptr<PackedLinear> PackLinearQ8WithLayout(const float* w, const float* bias, int32_t n, int32_t k, int kr) {
  std::unique_ptr<PackedLinearQ8> packed = AllocateQ8(n, k, kr);
  if (packed == nullptr) return nullptr;
  PackQ8Rows(w, bias, 0, n, k, *packed);
  return packed;
}

std::unique_ptr<PackedLinear> PackLinearQ8(const float* w, const float* bias, int32_t n, int32_t k) {
  return PackLinearQ8WithLayout(w, bias, n, k, BestQ8Gemm().kr);
}

std::unique_ptr<PackedLinear> PackLinearQ8(const WeightRowSource& rows, const float* bias, int32_t n, int32_t k) {
  std::unique_ptr<PackedLinearQ8> packed = AllocateQ8(n, k, BestQ8Gemm().kr);
  if (packed == nullptr) return nullptr;
  const bool read = ForEachWeightChunk(rows, n, k, [&](int32_t row0, int32_t count, const float* w) {
    PackQ8Rows(w, bias, row0, count, k, *packed);
    return true;
  });
  if (!read) return nullptr;
  return packed;
}

std::unique_ptr<PackedLinear> PackLinearQ8FromInt8(const Q8WeightRowSource& rows, const float* bias, int32_t n,
                                                   int32_t k) {
  std::unique_ptr<PackedLinearQ8> packed = AllocateQ8(n, k, BestQ8Gemm().kr);
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

size_t Q8TileBytes(int32_t m, size_t padded_k, int kr) {
  const size_t element = kr == 2 ? sizeof(int16_t) : sizeof(int8_t);
  return static_cast<size_t>((m + kGemmMR - 1) / kGemmMR) * kGemmMR * padded_k * element;
}

namespace {

// Offset (in elements) of row r, k index kk in 4-row tiles of layout kr.
inline size_t TileOffset(size_t padded_k, int kr, int32_t r, int32_t kk) {
  return static_cast<size_t>(r / kGemmMR) * kGemmMR * padded_k + static_cast<size_t>(kk / kr) * kGemmMR * kr +
         static_cast<size_t>(r % kGemmMR) * kr + kk % kr;
}

// min(0, min x) and max(0, max x), 4 lanes at a time; NaN never wins a comparison, so the range
// ignores it, and the return value says whether the row holds a NaN.
bool RowRange(const float* x, int32_t n, float* lo, float* hi) {
  vmath::v4f vmin = vmath::Splat(0.0f), vmax = vmath::Splat(0.0f);
  vmath::v4i vnan = {0, 0, 0, 0};
  const int32_t n4 = n & ~3;
  for (int32_t i = 0; i < n4; i += 4) {
    const vmath::v4f v = vmath::Load(x + i);
    vmin = vmath::Min(v, vmin);
    vmax = vmath::Max(v, vmax);
    vnan |= v != v;
  }
  float mn = vmath::HorizontalMin(vmin), mx = vmath::HorizontalMax(vmax);
  bool nan = (vnan[0] | vnan[1] | vnan[2] | vnan[3]) != 0;
  for (int32_t i = n4; i < n; ++i) {
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
    nan |= x[i] != x[i];
  }
  *lo = mn;
  *hi = mx;
  return nan;
}

// The smallest activation range whose 127 / range is finite (127 / 2^-120 = 127 * 2^120 < FLT_MAX).
constexpr float kMinQ8Range = 0x1p-120f;

// clamp(v, 0, 127) with NaN -> 0, in the order the 4-lane code uses (max with 0 first).
inline float Clamp0To127(float v) {
  const float t = v > 0.0f ? v : 0.0f;
  return t < 127.0f ? t : 127.0f;
}

}  // namespace

void QuantizeRowsQ8(const float* x, int32_t row_begin, int32_t row_end, int32_t k, size_t padded_k, int kr, void* q,
                    float* scale, int32_t* zero_point) {
  using vmath::v4f;
  using vmath::v4i;
  int16_t* q16 = static_cast<int16_t*>(q);
  int8_t* q8 = static_cast<int8_t*>(q);
  // Adding and subtracting 1.5·2^23 rounds |v| < 2^22 to the nearest integer, ties to even — what
  // nearbyint does in the default rounding mode — four lanes at a time.
  const v4f magic = vmath::Splat(12582912.0f), zero = vmath::Splat(0.0f), top = vmath::Splat(127.0f);
  for (int32_t r = row_begin; r < row_end; ++r) {
    const float* row = x + static_cast<size_t>(r) * k;
    float lo, hi;
    const bool nan = RowRange(row, k, &lo, &hi);
    const float range = hi - lo;
    // A zero row, a range that is not finite (inf inputs, overflow) or so small that 127 / range
    // overflows (a denormal range; -lo * inf would make z NaN, and NaN -> int is undefined —
    // fuzzing, tests/fuzz/FINDINGS.md F6): inv 0, all q = z = 0, and the scale carries an inf into
    // the outputs (inf x 0 = NaN) while a tiny row dequantises to 0.
    const float inv = range >= kMinQ8Range && range <= 3.4028235e38f ? 127.0f / range : 0.0f;
    // -lo * inv is in [0, 127] up to rounding; nearbyint keeps it there (127 * (1 + 2^-23) rounds to 127).
    const float z = inv > 0.0f ? std::nearbyint(-lo * inv) : 0.0f;
    // NaN in, NaN out (as in float32): the range ignores NaN, so a row holding one gets a NaN scale
    // and all its outputs are NaN (its q and z stay what the range gives; only the scale differs).
    scale[r] = nan ? std::numeric_limits<float>::quiet_NaN() : range / 127.0f;
    zero_point[r] = static_cast<int32_t>(z);
    const v4f vinv = vmath::Splat(inv), vz = vmath::Splat(z);
    const int32_t k4 = k & ~3;
    for (int32_t kk = 0; kk < k4; kk += 4) {
      v4f v = vmath::Load(row + kk) * vinv;
      v = ((v + magic) - magic) + vz;
      const v4i iv = __builtin_convertvector(vmath::Min(vmath::Max(v, zero), top), v4i);
      if (kr == 2) {
        int16_t* d = q16 + TileOffset(padded_k, 2, r, kk);  // pairs kk/2 and kk/2 + 1
        d[0] = static_cast<int16_t>(iv[0]);
        d[1] = static_cast<int16_t>(iv[1]);
        d[2 * kGemmMR] = static_cast<int16_t>(iv[2]);
        d[2 * kGemmMR + 1] = static_cast<int16_t>(iv[3]);
      } else {
        int8_t* d = q8 + TileOffset(padded_k, 4, r, kk);  // one quad
        d[0] = static_cast<int8_t>(iv[0]);
        d[1] = static_cast<int8_t>(iv[1]);
        d[2] = static_cast<int8_t>(iv[2]);
        d[3] = static_cast<int8_t>(iv[3]);
      }
    }
    for (int32_t kk = k4; kk < static_cast<int32_t>(padded_k); ++kk) {
      const int32_t v = kk < k ? static_cast<int32_t>(Clamp0To127(std::nearbyint(row[kk] * inv) + z)) : 0;
      if (kr == 2) {
        q16[TileOffset(padded_k, 2, r, kk)] = static_cast<int16_t>(v);
      } else {
        q8[TileOffset(padded_k, 4, r, kk)] = static_cast<int8_t>(v);
      }
    }
  }
}

void ZeroQ8PaddingRows(int32_t m, size_t padded_k, int kr, void* q) {
  const int32_t padded = (m + kGemmMR - 1) / kGemmMR * kGemmMR;
  for (int32_t r = m; r < padded; ++r) {
    for (int32_t kk = 0; kk < static_cast<int32_t>(padded_k); ++kk) {
      if (kr == 2) {
        static_cast<int16_t*>(q)[TileOffset(padded_k, 2, r, kk)] = 0;
      } else {
        static_cast<int8_t*>(q)[TileOffset(padded_k, 4, r, kk)] = 0;
      }
    }
  }
}

int32_t Q8ActivationAt(const void* q, size_t padded_k, int kr, int32_t r, int32_t kk) {
  const size_t offset = TileOffset(padded_k, kr, r, kk);
  return kr == 2 ? static_cast<const int16_t*>(q)[offset] : static_cast<const int8_t*>(q)[offset];
}

}  // namespace bt
