// AVX2 + FMA + F16C matrix-vector kernels: float weights 8 lanes at a time; quantized weights with
// vpmaddubsw / vpmaddwd integer dot products (matvec_q.inc).
#include <immintrin.h>

#include <cstring>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/half.hpp"
#include "kernels/isa_target.hpp"

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "kernels/matvec_q.inc"
#include "kernels/matvec_f.inc"

struct V8 {
  using Reg = __m256;
  static constexpr int W = 8;
  static Reg zero() { return _mm256_setzero_ps(); }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  template <DType T>
  static Reg wload(const char* row, int64_t i) {
    if constexpr (T == DType::f32) return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + i));
    if constexpr (T == DType::f16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static Reg fmadd(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm256_max_ps(a, b); }
  static Reg abs(Reg a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static float reduce(Reg v) { return hsum8(v); }
  static float reduce_max(Reg v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
  }
  // q[i] = round(x[i] * id) for n (multiple of 32) values; returns their sum.
  static int round_store(const float* x, int n, float id, int8_t* q) {
    const __m256 s = _mm256_set1_ps(id);
    __m256i sum = _mm256_setzero_si256();
    for (int i = 0; i < n; i += 32) {
      __m256i v[4];
      for (int k = 0; k < 4; ++k) v[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * k), s));
      sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_add_epi32(v[0], v[1]), _mm256_add_epi32(v[2], v[3])));
      // pack to int8 (packs works per 128-bit lane: fix the order with a permute)
      const __m256i p16a = _mm256_packs_epi32(v[0], v[1]), p16b = _mm256_packs_epi32(v[2], v[3]);
      __m256i p8 = _mm256_packs_epi16(p16a, p16b);
      p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), p8);
    }
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_hadd_epi32(s4, s4);
    s4 = _mm_hadd_epi32(s4, s4);
    return _mm_cvtsi128_si32(s4);
  }
  static int sum16(const int8_t* q) {
    const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
    __m256i s = _mm256_madd_epi16(v, _mm256_set1_epi16(1));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    s4 = _mm_hadd_epi32(s4, s4);
    s4 = _mm_hadd_epi32(s4, s4);
    return _mm_cvtsi128_si32(s4);
  }
};

template <ActFormat F>
void quantize_act(const float* x, int64_t n, void* out) {
  quantize_act_v<V8>(F, x, n, out);
}

}  // namespace

void fill_matvec_avx2(KernelTable& t, cpu::Level) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    TypeKernels& k = t.type[i];
    const bool q = traits(d).quantized;
    for (int nt = 1; nt <= kMaxMatvecRows; ++nt) k.matvec[nt - 1] = q ? quant_kernel<Avx2Dot>(d, nt) : float_kernel<V8>(d, nt);
    k.act = traits(d).act;
  }
  t.quantize_act[static_cast<int>(ActFormat::q8_32)] = &quantize_act<ActFormat::q8_32>;
  t.quantize_act[static_cast<int>(ActFormat::q8_256)] = &quantize_act<ActFormat::q8_256>;
}

}  // namespace lw::kernels::isa
