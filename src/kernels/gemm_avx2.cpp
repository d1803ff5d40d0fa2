// AVX2 GEMM kernel for quantized weights: vpmaddubsw / vpmaddwd over 8 weight rows per vector;
// wide types (q8_0, iq4) keep signed bytes and move their signs onto the activations.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/half.hpp"
#include "quant/repack.hpp"
#include "util/error.hpp"
#include "kernels/isa_target.hpp"

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "kernels/matvec_q.inc"
#include "cpu/vec_avx2.inc"
#include "kernels/gemm_q.inc"

struct Avx2Tile {
  static constexpr int R = 8, MR = 2;
  using I = __m256i;
  static I izero() { return _mm256_setzero_si256(); }
  static I loadw(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I bcast(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
  }
  template <bool kSigned>
  static I dot(I acc, I w, I x) {
    if constexpr (kSigned) {
      x = _mm256_sign_epi8(x, w);
      w = _mm256_sign_epi8(w, w);
    }
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1)));
  }
  static Vec::R cvt(I v) { return _mm256_cvtepi32_ps(v); }
  static void store(float* p, Vec::R v, int n, const float* bias) {
    alignas(32) float tmp[8];
    _mm256_store_ps(tmp, v);
    for (int i = 0; i < n; ++i) p[i] = tmp[i] + (bias ? bias[i] : 0.0f);
  }
};

bool gemm_q(const GemmArgs& a, DType t) {
  if (row_unpack_info(x16_base(t)).wide) qgemm<Avx2Tile, 2, true>(t, a, /*shift=*/false);
  else qgemm<Avx2Tile, 2, false>(t, a, false);
  return true;
}

template <DType T>
bool gemm_k(const GemmArgs& a) {
  return gemm_q(a, T);
}

template <int... I>
constexpr GemmFn pick(DType t, std::integer_sequence<int, I...>) {
  constexpr GemmFn fns[] = {&gemm_k<static_cast<DType>(I)>...};
  return fns[static_cast<int>(t)];
}

}  // namespace

// Every quantized type (the float types: BLAS), and the repacked types with AVX2 matvec kernels
// (matvec_x16_avx2.cpp): their panels built straight from the groups (gemm_q.inc's build_x16_panel).
void fill_gemm_avx2(KernelTable& t, cpu::Level) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (traits(static_cast<DType>(i)).quantized)
      t.type[i].gemm = pick(static_cast<DType>(i), std::make_integer_sequence<int, kNumDTypes>{});
  t.of(DType::q4_k_x16).gemm = &gemm_k<DType::q4_k_x16>;
  t.of(DType::q6_k_x16).gemm = &gemm_k<DType::q6_k_x16>;
  t.of(DType::q8_0_x16).gemm = &gemm_k<DType::q8_0_x16>;
}

}  // namespace lw::kernels::isa
