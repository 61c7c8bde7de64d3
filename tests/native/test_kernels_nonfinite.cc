// NaN / ±Inf through the vector math (vmath.h Exp/Erf, GELU, ReLU, tanh, softmax, LayerNorm):
// NaN in -> NaN out, infinities as libm/PyTorch. The checks live in nonfinite_checks.h so that
// tests/wasm/test_kernels_wasm.cc runs the same ones on the SIMD128 build.
#include <gtest/gtest.h>

#include "nonfinite_checks.h"

namespace bt {
namespace {

TEST(KernelsNonFinite, ElementwiseKeepsNaNAndInfinities) { EXPECT_EQ(nonfinite::CheckElementwise(), 0); }

TEST(KernelsNonFinite, SoftmaxAndLayerNormRowsGoNaN) { EXPECT_EQ(nonfinite::CheckRows(), 0); }

}  // namespace
}  // namespace bt
