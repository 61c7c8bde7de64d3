// The weights the backward pass needs: for every encoder linear y = x·Wᵀ + b, the input gradient is
// dx = dy·W, a GEMM whose "weights" are Wᵀ. BackwardWeights unpacks W from the packed form
// (kernels/gemm_unpack.h; q8 is dequantised) and packs Wᵀ with PackLinearF32 once, so LinearForward
// computes dy·W with the same microkernel as the forward. Built lazily on the first explanation (or
// training step) and kept by the object that owns it (the JS Explainer), so inference alone never pays
// for it. Head linears are not copied: their few selected rows use AccumulateLinearInputGradient.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "core/status.h"
#include "kernels/gemm.h"
#include "models/encoder.h"

namespace bt {

// Packs Wᵀ [k, n] for a packed W [n, k] (no bias). Null when the type is unknown or memory runs out.
std::unique_ptr<PackedLinear> PackTransposed(const PackedLinear& w);

class BackwardWeights {
 public:
  // Packs Wᵀ of every distinct encoder linear (projection, qkv, attention output, FFN in/out).
  Status Build(const EncoderWeights& encoder);
  // The linears Build packs Wᵀ of, in its order (null for a missing one): a caller may Add them one at
  // a time into a BackwardWeights of its own (an explanation yields between them) and move it in.
  static std::vector<const PackedLinear*> EncoderLinears(const EncoderWeights& encoder);
  // Packs Wᵀ of one more linear (a no-op when it is there already).
  Status Add(const PackedLinear& w);
  // Forgets the Wᵀ of a linear (before that linear is freed or replaced: training repacks its weights).
  void Remove(const PackedLinear& w) { transposed_.erase(&w); }
  bool built() const { return !transposed_.empty(); }
  // Wᵀ of a linear of the encoder given to Build (null when it was not there).
  const PackedLinear* Transposed(const PackedLinear& w) const;
  size_t bytes() const;

 private:
  std::map<const PackedLinear*, std::unique_ptr<PackedLinear>> transposed_;
};

}  // namespace bt
