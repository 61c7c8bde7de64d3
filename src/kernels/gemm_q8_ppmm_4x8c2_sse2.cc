// Int8 4x8c2 ppmm microkernel for x86 SSE2 (native builds): pmaddwd plays the role of
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

void qd8_qc8w_ppmm_ukernel_4x8c2__sse2(size_t nc, size_t kp, const int16_t* a, const int8_t* w, size_t w_stride,
                                       int32_t* c, size_t c_stride) {
  for (size_t n0 = 0; n0 < nc; n0 += kGemmNR, w += w_stride) {
    __m128i acc00 = _mm_setzero_si128(), acc01 = acc00, acc10 = acc00, acc11 = acc00;
    __m128i acc20 = acc00, acc21 = acc00, acc30 = acc00, acc31 = acc00;
    const int8_t* wp = w;
    const int16_t* ap = a;
    for (size_t p = 0; p < kp; ++p, wp += 16, ap += 8) {
      const __m128i w0 = LoadWidenI8(wp), w1 = LoadWidenI8(wp + 8);
      const __m128i x0 = SplatPair(ap), x1 = SplatPair(ap + 2), x2 = SplatPair(ap + 4), x3 = SplatPair(ap + 6);
      acc00 = _mm_add_epi32(acc00, _mm_madd_epi16(x0, w0)), acc01 = _mm_add_epi32(acc01, _mm_madd_epi16(x0, w1));
      acc10 = _mm_add_epi32(acc10, _mm_madd_epi16(x1, w0)), acc11 = _mm_add_epi32(acc11, _mm_madd_epi16(x1, w1));
      acc20 = _mm_add_epi32(acc20, _mm_madd_epi16(x2, w0)), acc21 = _mm_add_epi32(acc21, _mm_madd_epi16(x2, w1));
      acc30 = _mm_add_epi32(acc30, _mm_madd_epi16(x3, w0)), acc31 = _mm_add_epi32(acc31, _mm_madd_epi16(x3, w1));
    }
    __m128i* out[4] = {reinterpret_cast<__m128i*>(c + n0), reinterpret_cast<__m128i*>(c + c_stride + n0),
                       reinterpret_cast<__m128i*>(c + 2 * c_stride + n0),
                       reinterpret_cast<__m128i*>(c + 3 * c_stride + n0)};
    _mm_storeu_si128(out[0], acc00), _mm_storeu_si128(out[0] + 1, acc01);
    _mm_storeu_si128(out[1], acc10), _mm_storeu_si128(out[1] + 1, acc11);
    _mm_storeu_si128(out[2], acc20), _mm_storeu_si128(out[2] + 1, acc21);
    _mm_storeu_si128(out[3], acc30), _mm_storeu_si128(out[3] + 1, acc31);
  }
}

}  // namespace bt
#endif  // __SSE2__
