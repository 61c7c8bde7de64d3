// Weight decoding (binary16 → float32, int8 range) against the scalar references: decode_checks.h,
// shared with the wasm kernel test; plus binary16 values whose float32 is known exactly.
#include <gtest/gtest.h>

#include <cmath>

#include "decode_checks.h"

namespace bt {
namespace {

TEST(ConvertKernels, VectorFormsEqualScalarReferences) { EXPECT_EQ(decode_checks::CheckAll(), 0); }

TEST(ConvertKernels, KnownHalves) {
  const uint16_t halves[] = {0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0xc000, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x3555};
  const float want[] = {0.0f, -0.0f, 5.9604644775390625e-08f, 6.0975551605224609e-05f, 6.103515625e-05f, 1.0f, -2.0f,
                        65504.0f, INFINITY, -INFINITY, NAN, 0.333251953125f};
  const size_t n = sizeof(halves) / sizeof(halves[0]);
  float got[n];
  EXPECT_EQ(ConvertF16ToF32(reinterpret_cast<const uint8_t*>(halves), n, got), 8u);  // the first Inf
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << i;
    } else {
      EXPECT_EQ(got[i], want[i]) << i;
      EXPECT_EQ(std::signbit(got[i]), std::signbit(want[i])) << i;
    }
  }
}

}  // namespace
}  // namespace bt
