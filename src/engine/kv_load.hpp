#pragma once
// Loading 16 keys' or values' elements as f32 in the AVX-512 attention kernels, whatever the dtype
// K and V are stored in (an f32 activation buffer, or an f16 / bf16 KV cache), and picking the
// kernel instantiation for a run-time dtype. The vector conversions (convert_simd.cpp) widen with
// the same loader. Callers check the CPU first.
#include <immintrin.h>

#include <cstdint>

#include "engine/tensor.hpp"
#include "util/error.hpp"

namespace lw::engine::simd {

// Element type of K/V rows of dtype T.
template <DType T>
using KvElem = std::conditional_t<T == DType::f32, float, uint16_t>;

// 16 elements at p, widened to f32 (bf16: the 16 bits become the top of the f32; f16: vcvtph2ps).
template <DType T>
__attribute__((target("avx512f"), always_inline)) inline __m512 load16(const KvElem<T>* p) {
  if constexpr (T == DType::f32) {
    return _mm512_loadu_ps(p);
  } else {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if constexpr (T == DType::f16)
      return _mm512_cvtph_ps(h);
    else
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
}

// Calls f.template operator()<T>() with T the K/V dtype t (f32, f16 or bf16): the one place a
// run-time dtype picks a kernel instantiation. Fails naming `what` for any other dtype.
template <typename F>
void with_kv_dtype(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::f32: f.template operator()<DType::f32>(); return;
    case DType::f16: f.template operator()<DType::f16>(); return;
    case DType::bf16: f.template operator()<DType::bf16>(); return;
    default: fail("{}: K/V dtype {} is not supported", what, dtype_name(t));
  }
}

}  // namespace lw::engine::simd
