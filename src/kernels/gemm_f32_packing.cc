// f32 weight packing: PyTorch nn.Linear [out, in] → NR-wide panels, bias first (see
// gemm_f32_ukernel.h for the layout).
#include <algorithm>
#include <cstdlib>
#include <new>
#include <vector>

#include "kernels/gemm_internal.h"

namespace bt {

void* AlignedAlloc(size_t bytes) {
  constexpr size_t kAlign = 64;
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, bytes == 0 ? kAlign : bytes) != 0) return nullptr;
  return p;
}

void AlignedFree(void* p) { std::free(p); }

PackedLinearF32::~PackedLinearF32() { AlignedFree(data_); }

namespace {

// Packs w [n, k] + bias [n] (or nullptr) panel by panel (the bias slots, then the 128-bit panel
// kernel); with `check`, returns whether a panel may hold a NaN or ±Inf (F32PackW8CheckFn).
bool PackPanels(const float* w, const float* bias, int32_t n, int32_t k, float* out, bool check) {
  const size_t stride = kGemmNR + static_cast<size_t>(kGemmNR) * k;
  const int32_t panels = (n + kGemmNR - 1) / kGemmNR;
  bool suspect = false;
  for (int32_t p = 0; p < panels; ++p) {
    float* dst = out + p * stride;
    const int32_t n0 = p * kGemmNR;
    const int32_t nc = n - n0 < kGemmNR ? n - n0 : kGemmNR;
    for (int32_t j = 0; j < kGemmNR; ++j) dst[j] = bias != nullptr && j < nc ? bias[n0 + j] : 0.0f;
    const float* rows = w + static_cast<size_t>(n0) * k;
    if (check) {
      suspect |= f32_pack_w8_check__vec128(static_cast<size_t>(nc), static_cast<size_t>(k), rows, dst + kGemmNR);
    } else {
      f32_pack_w8__vec128(static_cast<size_t>(nc), static_cast<size_t>(k), rows, dst + kGemmNR);
    }
  }
  return suspect;
}

}  // namespace

void PackF32GemmGoiW(const float* w, const float* bias, int32_t n, int32_t k, float* out) {
  PackPanels(w, bias, n, k, out, /*check=*/false);
}

int32_t WeightRowChunk(int32_t k) {
  const int64_t rows = (int64_t{1} << 18) / std::max<int32_t>(k, 1) / kGemmNR * kGemmNR;
  return static_cast<int32_t>(std::max<int64_t>(rows, kGemmNR));
}

bool ForEachWeightChunk(const WeightRowSource& rows, int32_t n, int32_t k,
                        const std::function<bool(int32_t row0, int32_t count, const float* w)>& pack) {
  const int32_t chunk = std::min(n, WeightRowChunk(k));
  std::vector<float> w(static_cast<size_t>(chunk) * k);
  for (int32_t row0 = 0; row0 < n; row0 += chunk) {
    const int32_t count = std::min(chunk, n - row0);
    if (!rows(row0, count, w.data()) || !pack(row0, count, w.data())) return false;
  }
  return true;
}

namespace {

// Uninitialised panels for an [n, k] matrix, owned by the returned object; nullptr when out of memory.
std::unique_ptr<PackedLinearF32> AllocateF32(int32_t n, int32_t k) {
  if (n <= 0 || k <= 0) return nullptr;
  const size_t panels = (static_cast<size_t>(n) + kGemmNR - 1) / kGemmNR;
  float* data = static_cast<float*>(AlignedAlloc(sizeof(float) * panels * (kGemmNR + static_cast<size_t>(kGemmNR) * k)));
  if (data == nullptr) return nullptr;
  std::unique_ptr<PackedLinearF32> packed(new (std::nothrow) PackedLinearF32(n, k, data));
  if (packed == nullptr) AlignedFree(data);
  return packed;
}

}  // namespace

std::unique_ptr<PackedLinear> PackLinearF32(const WeightRowSource& rows, const float* bias, int32_t n, int32_t k,
                                            const NonFiniteRowsHandler& on_nonfinite) {
  std::unique_ptr<PackedLinearF32> packed = AllocateF32(n, k);
  if (packed == nullptr) return nullptr;
  // Chunks of whole panels: each packs into its own panels exactly as the whole matrix would. The
  // check rides along in the same pass (the values are in registers anyway); a flagged chunk goes
  // to the handler, which scans it exactly.
  float* data = const_cast<float*>(packed->panel(0));
  const bool check = on_nonfinite != nullptr;
  const bool read = ForEachWeightChunk(rows, n, k, [&](int32_t row0, int32_t count, const float* w) {
    const bool suspect = PackPanels(w, bias != nullptr ? bias + row0 : nullptr, count, k,
                                    data + (row0 / kGemmNR) * packed->panel_stride(), check);
    return !suspect || on_nonfinite(row0, count, w);
  });
  if (!read) return nullptr;
  return packed;
}

std::unique_ptr<PackedLinear> PackLinearF32(const float* w, const float* bias, int32_t n, int32_t k) {
  std::unique_ptr<PackedLinearF32> packed = AllocateF32(n, k);
  if (packed != nullptr) PackF32GemmGoiW(w, bias, n, k, const_cast<float*>(packed->panel(0)));
  return packed;
}

}  // namespace bt
