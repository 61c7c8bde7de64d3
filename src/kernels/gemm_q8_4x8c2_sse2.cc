// Int8 4x8c2 GEMM microkernel for x86 SSE2 (native builds): pmaddwd plays the role of
// i32x4.dot_i16x8_s in the wasm kernel; same layout, same integer result.
#if defined(__SSE2__)
#include <emmintrin.h>

#include <cstring>

#include "kernels/gemm_internal.h"

namespace bt {
namespace {

inline __m128i LoadWidenI8(const int8_t* p) {  // 8 int8 -> 8 int16
  const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
}

inline __m128i SplatPair(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm_set1_epi32(v);
}

}  // namespace

void qd8_qc8w_gemm_ukernel_4x8c2__sse2(size_t mr, size_t kp, const int16_t* a, size_t a_stride, const int8_t* w,
                                       int32_t* c) {
  const int16_t* a0 = a;
  const int16_t* a1 = mr > 1 ? a0 + a_stride : a0;
  const int16_t* a2 = mr > 2 ? a1 + a_stride : a1;
  const int16_t* a3 = mr > 3 ? a2 + a_stride : a2;
  __m128i acc00 = _mm_setzero_si128(), acc01 = acc00, acc10 = acc00, acc11 = acc00;
  __m128i acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
  for (size_t p = 0; p < kp; ++p) {
    const __m128i w0 = LoadWidenI8(w), w1 = LoadWidenI8(w + 8);
    w += 16;
    const __m128i x0 = SplatPair(a0 + 2 * p), x1 = SplatPair(a1 + 2 * p);
    const __m128i x2 = SplatPair(a2 + 2 * p), x3 = SplatPair(a3 + 2 * p);
    acc00 = _mm_add_epi32(acc00, _mm_madd_epi16(x0, w0)), acc01 = _mm_add_epi32(acc01, _mm_madd_epi16(x0, w1));
    acc10 = _mm_add_epi32(acc10, _mm_madd_epi16(x1, w0)), acc11 = _mm_add_epi32(acc11, _mm_madd_epi16(x1, w1));
    acc20 = _mm_add_epi32(acc20, _mm_madd_epi16(x2, w0)), acc21 = _mm_add_epi32(acc21, _mm_madd_epi16(x2, w1));
    acc30 = _mm_add_epi32(acc30, _mm_madd_epi16(x3, w0)), acc31 = _mm_add_epi32(acc31, _mm_madd_epi16(x3, w1));
  }
  __m128i* out = reinterpret_cast<__m128i*>(c);
  _mm_storeu_si128(out + 0, acc00), _mm_storeu_si128(out + 1, acc01);
  _mm_storeu_si128(out + 2, acc10), _mm_storeu_si128(out + 3, acc11);
  _mm_storeu_si128(out + 4, acc20), _mm_storeu_si128(out + 5, acc21);
  _mm_storeu_si128(out + 6, acc30), _mm_storeu_si128(out + 7, acc31);
}

}  // namespace bt
#endif  // __SSE2__
