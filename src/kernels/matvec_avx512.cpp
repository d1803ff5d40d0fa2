// AVX-512 matrix-vector kernels: float weights 16 lanes at a time; quantized weights with VNNI
// (vpdpbusd / vpdpwssd) integer dot products when the level includes it, else the vpmaddubsw path.
// GCC 12 warns falsely inside its own AVX-512 headers (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/half.hpp"
#include "kernels/isa_target.hpp"

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "cpu/vec_avx512.inc"
#include "kernels/matvec_q.inc"
#include "kernels/matvec_f.inc"

// VNNI: u8 x s8 products summed straight into int32 lanes, no 16-bit saturation.
struct VnniDot {
  static constexpr int kSignedBias = 128;
  static __m256i udot(__m256i u, __m256i x, int init) {
    return _mm256_dpbusd_epi32(_mm256_zextsi128_si256(_mm_cvtsi32_si128(init)), u, x);
  }
  // (w + 128) as unsigned: the caller's init removes 128 * sum(x).
  static __m256i sdot(__m256i w, __m256i x, int init) { return udot(_mm256_xor_si256(w, _mm256_set1_epi8(-128)), x, init); }
  static __m256i madd(__m256i acc, __m256i u, __m256i x, __m256i s16) {
    return _mm256_dpwssd_epi32(acc, _mm256_maddubs_epi16(u, x), s16);
  }
  static __m256i smadd(__m256i acc, __m256i w, __m256i x, __m256i s16) {
    return madd(acc, _mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w), s16);
  }
};

// bf16 weights x bf16 activations: vdpbf16ps, 32 products per instruction, f32 accumulation; four
// chains for one activation row (the dot product's latency), two for up to 8 rows, one for more
// (the rows are the chains then, and their accumulators fill the 32 zmm registers). The weights are
// prefetched into L2 12 KiB ahead: against prefetcht0 4 KiB ahead, 8B shape (4096 x 14336), 2
// threads, bench_multirow, two builds interleaved twice: 1 row 0.83-0.93x the time, 4 rows 0.74-0.76x,
// 8 rows 0.83-0.92x (2026-12-07, idle machine).
template <int NT>
void mv_bf16(const MatvecArgs& a, int64_t r0, int64_t r1) {
  constexpr int CH = NT == 1 ? 4 : NT <= 8 ? 2 : 1;
  const int64_t n = a.n, main = n / 32 * 32;
  const __mmask32 tail = static_cast<__mmask32>((1ull << (n - main)) - 1u);
  for (int64_t r = r0; r < r1; ++r) {
    const auto* w = reinterpret_cast<const uint16_t*>(static_cast<const char*>(a.w) + r * a.w_stride);
    __m512 acc[NT][CH];
    for (int t = 0; t < NT; ++t)
      for (int c = 0; c < CH; ++c) acc[t][c] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 * CH <= main; i += 32 * CH) {
      for (int c = 0; c < CH; ++c)  // into L2, 12 KiB ahead (as the x16 kernels: matvec_x16_avx512.cpp)
        _mm_prefetch(reinterpret_cast<const char*>(w + i + 32 * c) + 12288, _MM_HINT_T1);
      __m512i wv[CH];
      for (int c = 0; c < CH; ++c) wv[c] = _mm512_loadu_si512(w + i + 32 * c);
#pragma GCC unroll 16  // every row's accumulators stay in registers
      for (int t = 0; t < NT; ++t) {
        const auto* x = reinterpret_cast<const uint16_t*>(static_cast<const char*>(a.act) + t * a.act_stride);
        for (int c = 0; c < CH; ++c)
          acc[t][c] = _mm512_dpbf16_ps(acc[t][c], (__m512bh)wv[c], (__m512bh)_mm512_loadu_si512(x + i + 32 * c));
      }
    }
    for (; i < n; i += 32) {
      const __mmask32 k = i < main ? static_cast<__mmask32>(~0u) : tail;
      const __m512i wa = _mm512_maskz_loadu_epi16(k, w + i);
#pragma GCC unroll 16  // every row's accumulators stay in registers
      for (int t = 0; t < NT; ++t) {
        const auto* x = reinterpret_cast<const uint16_t*>(static_cast<const char*>(a.act) + t * a.act_stride);
        acc[t][0] = _mm512_dpbf16_ps(acc[t][0], (__m512bh)wa, (__m512bh)_mm512_maskz_loadu_epi16(k, x + i));
      }
    }
    for (int t = 0; t < NT; ++t) {
      __m512 sum = acc[t][0];
      for (int c = 1; c < CH; ++c) sum = _mm512_add_ps(sum, acc[t][c]);
      a.out[t * a.out_stride + r] = _mm512_reduce_add_ps(sum) + (a.bias ? a.bias[r] : 0.0f);
    }
  }
}

void bf16_round_row(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    _mm512_storeu_si512(out + i, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i)));
  for (; i < n; ++i) out[i] = f32_to_bf16(x[i]);
}

template <int... I>
constexpr MatvecFn bf16_kernel(int nt, std::integer_sequence<int, I...>) {
  constexpr MatvecFn fns[] = {&mv_bf16<I + 1>...};
  return fns[nt - 1];
}

template <ActFormat F>
void quantize_act(const float* x, int64_t n, void* out) {
  quantize_act_v(F, x, n, out);
}

void quantize_act_bf16(const float* x, int64_t n, void* out) { bf16_round_row(x, n, static_cast<uint16_t*>(out)); }

}  // namespace

// Float weights 16 lanes; quantized weights with VNNI from avx512_vnni on (the vpmaddubsw path of
// matvec_q.inc compiled for AVX-512 below it); bf16 weights with vdpbf16ps from avx512_bf16 on.
void fill_matvec_avx512(KernelTable& t, cpu::Level level) {
  const bool vnni = static_cast<int>(level) >= static_cast<int>(cpu::Level::avx512_vnni);
  const bool bf16 = static_cast<int>(level) >= static_cast<int>(cpu::Level::avx512_bf16);
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    TypeKernels& k = t.type[i];
    for (int nt = 1; nt <= kMaxMatvecRows; ++nt) {
      MatvecFn& f = k.matvec[nt - 1];
      if (d == DType::bf16 && bf16) f = bf16_kernel(nt, std::make_integer_sequence<int, kMaxMatvecRows>{});
      else if (!traits(d).quantized) f = float_kernel(d, nt);
      else f = vnni ? quant_kernel<VnniDot>(d, nt) : quant_kernel<Avx2Dot>(d, nt);
    }
    k.act = d == DType::bf16 && bf16 ? ActFormat::bf16 : traits(d).act;
  }
  t.quantize_act[static_cast<int>(ActFormat::q8_32)] = &quantize_act<ActFormat::q8_32>;
  t.quantize_act[static_cast<int>(ActFormat::q8_256)] = &quantize_act<ActFormat::q8_256>;
  if (bf16) t.quantize_act[static_cast<int>(ActFormat::bf16)] = &quantize_act_bf16;
}

}  // namespace lw::kernels::isa
