// Linear layers: y[M,N] = epilogue(x[M,K] · W[N,K]^T + bias[N]) (+ residual[M,N]).
// W arrives in PyTorch's nn.Linear layout ([out, in], row-major) and is packed once at load
// into the microkernel's panel layout; the raw matrix can be freed afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/thread_pool.h"

namespace bt {

enum class Activation { kNone, kGeluErf, kGeluTanh, kRelu, kTanh };

// Opaque packed weights (f32 panels). Owns its memory.
class PackedLinear {
 public:
  virtual ~PackedLinear() = default;
  virtual int32_t n() const = 0;  // output features
  virtual int32_t k() const = 0;  // input features
  virtual size_t bytes() const = 0;
};

// w: [n, k] row-major; bias: [n] or nullptr (zero bias).
std::unique_ptr<PackedLinear> PackLinearF32(const float* w, const float* bias, int32_t n, int32_t k);

// Writes rows [row0, row0 + count) of W ([n, k] row-major) to out ([count, k]); false on failure.
// Lets a loader pack straight from the checkpoint, a few panels at a time, without holding W.
using WeightRowSource = std::function<bool(int32_t row0, int32_t count, float* out)>;
// Called when the packer met a NaN or ±Inf (or may have: a false alarm is possible) in rows
// [row0, row0 + count) of W, given as w [count, k]: returns true to go on packing, false to stop.
using NonFiniteRowsHandler = std::function<bool(int32_t row0, int32_t count, const float* w)>;
// The same packing from a row source; nullptr when n, k <= 0, memory runs out, a read fails or
// `on_nonfinite` stops it. With `on_nonfinite`, the packer checks every weight as it packs it
// (the load option validate_weights, at no measurable cost: docs/hardening.md).
std::unique_ptr<PackedLinear> PackLinearF32(const WeightRowSource& rows, const float* bias, int32_t n, int32_t k,
                                            const NonFiniteRowsHandler& on_nonfinite = nullptr);
// Rows per read for a row source: whole panels, about 1 MB of float32.
int32_t WeightRowChunk(int32_t k);

// A subset of the output columns, [begin, end) with 0 <= begin < end <= n, written with row stride
// `stride` (>= end - begin).
struct LinearColumns {
  int32_t begin = 0, end = 0, stride = 0;
};

// Memory LinearForward packs (f32) or quantises (int8) the activations x into, owned by the caller
// (a model's arena, src/core/arena.h): at least LinearScratchBytes(w, m) bytes, 64-byte aligned, not
// shared with another call running at the same time. Too small or empty: the call allocates its own.
struct LinearScratch {
  void* data = nullptr;
  size_t bytes = 0;
};
size_t LinearScratchBytes(const PackedLinear& w, int32_t m);

// y = act(x · W^T + b) + residual. x: [m, k] with row stride k; y, residual: [m, n] row stride n.
// residual may be nullptr; y must not alias x (it may alias residual).
// With `columns`, only those output columns are computed (the panels that hold them): y and residual
// hold columns begin..end-1 at column 0, row stride columns->stride; an invalid range computes
// nothing. Each computed value is bitwise the one of the full call.
void LinearForward(const PackedLinear& w, const float* x, int32_t m, Activation act, const float* residual,
                   float* y, ThreadPool& pool, const LinearColumns* columns = nullptr, LinearScratch scratch = {});

// Reference: the same math with plain loops on the unpacked weights (for tests).
void LinearReference(const float* w, const float* bias, int32_t n, int32_t k, const float* x, int32_t m,
                     Activation act, const float* residual, float* y);

}  // namespace bt
