// NaN / ±Inf through the vector math (vmath.h Exp/Erf, GELU, ReLU, tanh, softmax, LayerNorm) and the
// int8 linear's activation quantisation: NaN in -> NaN out, infinities as libm/PyTorch. The checks
// live in nonfinite_checks.h so that tests/wasm/test_kernels_wasm.cc runs the same ones on the
// SIMD128 and relaxed-SIMD builds.
#include <gtest/gtest.h>

#include "nonfinite_checks.h"

namespace bt {
namespace {

TEST(KernelsNonFinite, ElementwiseKeepsNaNAndInfinities) { EXPECT_EQ(nonfinite::CheckElementwise(), 0); }

TEST(KernelsNonFinite, SoftmaxAndLayerNormRowsGoNaN) { EXPECT_EQ(nonfinite::CheckRows(), 0); }

TEST(KernelsNonFinite, Int8LinearRowsGoNaN) { EXPECT_EQ(nonfinite::CheckQ8Rows(), 0); }

}  // namespace
}  // namespace bt
