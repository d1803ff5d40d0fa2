// AVX-512 / F16C conversions between f32 and the 16-bit dtypes. Rounding is to nearest even, as in
// the scalar f32_to_f16 / f32_to_bf16; a NaN stays a NaN (its payload bits may differ).
// GCC 12 warns falsely inside its own AVX-512 headers (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "engine/convert_simd.hpp"

#include <immintrin.h>

#include "engine/kv_load.hpp"

namespace lw::engine::simd {

namespace {

#define LW_AVX512 __attribute__((target("avx512f")))
#define LW_F16C __attribute__((target("avx,f16c")))

bool cpu_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}
bool cpu_f16c() {
  static const bool ok = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
  return ok;
}

// Widens 16-bit elements of dtype T, 16 at a time with the attention kernels' loader.
template <DType T>
LW_AVX512 void widen_avx512(const uint16_t* s, float* d, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, load16<T>(s + i));
  for (; i < n; ++i) d[i] = T == DType::f16 ? f16_to_f32(s[i]) : bf16_to_f32(s[i]);
}

LW_AVX512 void f32_to_f16_avx512(const float* s, uint16_t* d, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) d[i] = f32_to_f16(s[i]);
}

// Round to nearest even on the upper 16 bits; NaN -> quiet NaN (as the scalar f32_to_bf16).
LW_AVX512 __m256i f32x16_to_bf16(__m512 x) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                               _mm512_set1_epi32(0x7f800000));
  const __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
  return _mm512_cvtepi32_epi16(_mm512_mask_blend_epi32(nan, rounded, quiet));
}

LW_AVX512 void f32_to_bf16_avx512(const float* s, uint16_t* d, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + i), f32x16_to_bf16(_mm512_loadu_ps(s + i)));
  for (; i < n; ++i) d[i] = f32_to_bf16(s[i]);
}

LW_F16C void f16_to_f32_f16c(const uint16_t* s, float* d, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))));
  for (; i < n; ++i) d[i] = f16_to_f32(s[i]);
}

LW_F16C void f32_to_f16_f16c(const float* s, uint16_t* d, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) d[i] = f32_to_f16(s[i]);
}

}  // namespace

bool has_vector_path(DType t) {
  if (t == DType::f16) return cpu_avx512() || cpu_f16c();
  if (t == DType::bf16) return cpu_avx512();
  return false;
}

bool to_f32(DType t, const void* src, float* dst, int64_t n) {
  const auto* s = static_cast<const uint16_t*>(src);
  if (t == DType::f16 && cpu_avx512()) return widen_avx512<DType::f16>(s, dst, n), true;
  if (t == DType::f16 && cpu_f16c()) return f16_to_f32_f16c(s, dst, n), true;
  if (t == DType::bf16 && cpu_avx512()) return widen_avx512<DType::bf16>(s, dst, n), true;
  return false;
}

bool from_f32(DType t, const float* src, void* dst, int64_t n) {
  auto* d = static_cast<uint16_t*>(dst);
  if (t == DType::f16 && cpu_avx512()) return f32_to_f16_avx512(src, d, n), true;
  if (t == DType::f16 && cpu_f16c()) return f32_to_f16_f16c(src, d, n), true;
  if (t == DType::bf16 && cpu_avx512()) return f32_to_bf16_avx512(src, d, n), true;
  return false;
}

}  // namespace lw::engine::simd
