// Matrix-vector kernels of the repacked types (quant/repack.hpp: 16 weight rows interleaved) with
// AVX-512 VNNI, for 1..kMaxMatvecRows activation rows. The 16 lanes of a vector are the 16 rows of a
// group: one 64-byte load holds 4 consecutive weights of each row, one vpdpbusd multiplies them with
// 4 activation bytes broadcast from memory, so a sub-block's scale is a per-lane multiply (vpmulld)
// of its integer sum, and the offsets (q4_k's mins, q6_k's -32) one vpdpwssd per pair of sub-blocks
// against the activation block sums (q8_0: one scale per 32-column block, its -128 offset from the
// activation block's sum). The weights are unpacked once per group and super-block for all
// activation rows; each activation row ends as one vector of 16 outputs (no horizontal sums).
//   per weight row and activation row and 256 columns: 4 vpdpbusd + 0.5 (q4_k) or 1 (q6_k) vpmulld
//   (the base layout's kernels: 8 vpmaddubsw + 8 vpdpwssd on ymm)
// q6_k unpacks the 4 values of one column group from 3 loads (ql low/high nibbles, qh's 4 bit
// pairs); its 3,360-byte blocks are 32-byte aligned, so it loads halves (a 64-byte load would
// split a cache line every time; measured, 8B shape one row from memory: 1.6x slower than the base
// layout with 64-byte loads and a reload per value, 0.55x with this).
// With 2 or more activation rows the multiplies take their broadcast as vpdpbusd's memory operand
// (dpbusd_m), and the weights are prefetched into L2 12 KiB ahead (prefetch_ahead). Measured
// 2026-12-07, 8B shape (4096 x 14336), one thread, CPU time, shared machine: with the weights in L2
// a kernel runs its vpdpbusd at 0.7 of the register-only peak, but from memory the old prefetch
// (prefetcht0 4 KiB ahead) let the weights' time and the multiplies' time add up; now q4_k_x16 at
// 4, 5, 8 rows takes 0.6, 0.6, 0.5x the time of before (R = 1 0.9x), q6_k_x16 0.8, 0.7, 0.55x,
// q8_0_x16 0.8, 0.6, 0.75x (docs/engine.md, "Repacked weights"). The same binary held both kernel
// versions (interleaved calls through matvec_rows, min of 9-41): between two builds of
// bench_multirow, identical code measured up to 1.6x apart on this machine.
// GCC 12 warns falsely inside its own AVX-512 headers (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/isa.hpp"
#include "kernels/isa_target.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/repack.hpp"
#include "util/error.hpp"

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "kernels/matvec_x16.inc"

constexpr cpu::Level kLevel = cpu::Level::avx512_vnni;  // the base kernels of the rows after the groups

// Read ahead of the weight stream into L2 (prefetcht1), 12 KiB ahead (5 q4_k blocks of a group), at
// the start of each block. With several activation rows the multiplies of a block take longer than its
// bytes take to arrive, and prefetcht0 4 KiB ahead (the base kernels' way) left them waiting for
// memory: measured, 8B shape, one thread, q4_k_x16 5 rows 0.6x the time of that (the weights' time and
// the multiplies' time added up rather than overlapped), one row 0.9x-1x.
// (The AVX2 kernels spread a block's prefetches over its steps, prefetch_step; here that measured the
// same as one burst, 8B model, 2 threads, 1 and 5 rows.)
constexpr int64_t kAheadL2 = 12288;
// q8_0 with 1 to 3 rows (memory-bound, little work per byte) keeps prefetcht0 4 KiB ahead (L2: measured
// 1.2x slower at 1-2 rows, up to 1.1x at 3 rows of 2,048 columns).
template <bool L2 = true, class Block>
inline void prefetch_ahead(const Block& B) {
  const char* p = reinterpret_cast<const char*>(&B) + (L2 ? kAheadL2 : kAhead);
  for (size_t o = 0; o < sizeof(B); o += 64) _mm_prefetch(p + o, L2 ? _MM_HINT_T1 : _MM_HINT_T0);
}

// 4 activation bytes broadcast to the 16 lanes.
inline __m512i bcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}
// acc + u * bcast4(p). Asm: the broadcast as vpdpbusd's embedded-broadcast memory operand (GCC 12
// keeps a separate vpbroadcastd for the intrinsics, one instruction more per multiply); Asm false:
// the intrinsics, for one activation row (memory-bound: its multiplies are kept as they were).
template <bool Asm>
inline __m512i dpbusd_m(__m512i acc, __m512i u, const void* p) {
  if constexpr (Asm) {
    asm("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(u), "m"(*static_cast<const int32_t*>(p)));
    return acc;
  }
  return _mm512_dpbusd_epi32(acc, u, bcast4(p));
}
// acc + int16 pairs of u * bcast4(p) (an int16 pair), as dpbusd_m.
template <bool Asm>
inline __m512i dpwssd_m(__m512i acc, __m512i u, const void* p) {
  if constexpr (Asm) {
    asm("vpdpwssd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(u), "m"(*static_cast<const int32_t*>(p)));
    return acc;
  }
  return _mm512_dpwssd_epi32(acc, u, bcast4(p));
}
inline __m512i load16x32(const void* p) {
  return _mm512_loadu_si512(p);
}
// q6_k groups are 32-byte aligned (3,360-byte blocks): two halves never split a cache line
inline __m512i load2x256(const void* p) {
  const auto* q = static_cast<const __m256i*>(p);
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(q)), _mm256_loadu_si256(q + 1), 1);
}
inline __m128i load16(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// Outputs of the group at row r: acc[t] (+ bias) -> out[t][r .. r + 15].
template <int NT>
inline void store_group(const MatvecArgs& a, int64_t r, const __m512* acc) {
  const __m512 bias = a.bias ? _mm512_loadu_ps(a.bias + r) : _mm512_setzero_ps();
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(a.out + t * a.out_stride + r, _mm512_add_ps(acc[t], bias));
}

// q4_k x16: w = d * sc[j] * u - dmin * m[j], u 4-bit; sc, m 6-bit per 32-element sub-block j.
template <int NT>
void mv_q4_k_x16(const MatvecArgs& a, int64_t r0, int64_t r1) {
  const int64_t rg = group_end(r0, r1);
  base_tail<NT>(kLevel, DType::q4_k, a, rg, r1);
  r1 = rg;
  const int64_t nb = a.n / QK_K;
  const size_t gstride = a.w_stride * kX16Rows;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  for (int64_t r = r0; r < r1; r += kX16Rows) {
    const auto* w =
        reinterpret_cast<const BlockQ4_Kx16*>(static_cast<const char*>(a.w) + (r / kX16Rows) * gstride);
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ4_Kx16& B = w[b];
      prefetch_ahead(B);
      __m128i sc8[8], mn8[8];
      k4_scales_x16(B, sc8, mn8);
      __m512i sumi[NT];
      for (int t = 0; t < NT; ++t) sumi[t] = _mm512_setzero_si512();
      for (int k = 0; k < 4; ++k)
        for (int h = 0; h < 2; ++h) {
          const int j = 2 * k + h;  // sub-block: elements 32j .. 32j + 31
          __m512i u[8];
          for (int g = 0; g < 8; ++g) {
            const __m512i v = load16x32(B.qs[8 * k + g]);
            u[g] = h ? _mm512_and_si512(_mm512_srli_epi16(v, 4), m4) : _mm512_and_si512(v, m4);
          }
          const __m512i sc = _mm512_cvtepu8_epi32(sc8[j]);
          for (int t = 0; t < NT; ++t) {
            const int8_t* xq = act_row(a, t)[b].qs + 32 * j;
            __m512i d0 = _mm512_setzero_si512(), d1 = d0;  // two chains
            for (int g = 0; g < 8; g += 2) {
              d0 = dpbusd_m<(NT > 1)>(d0, u[g], xq + 4 * g);
              d1 = dpbusd_m<(NT > 1)>(d1, u[g + 1], xq + 4 * g + 4);
            }
            sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(_mm512_add_epi32(d0, d1), sc));
          }
        }
      // mins: int16 pairs (m[j], m[j]) against the activation sums of 16-element halves 2j, 2j + 1
      __m512i mm[8];
      for (int j = 0; j < 8; ++j) {
        const __m512i m32 = _mm512_cvtepu8_epi32(mn8[j]);
        mm[j] = _mm512_or_si512(m32, _mm512_slli_epi32(m32, 16));
      }
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.d)));
      const __m512 dm = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.dmin)));
      for (int t = 0; t < NT; ++t) {
        const ActQ8_256& x = act_row(a, t)[b];
        __m512i summ = _mm512_setzero_si512();
        for (int j = 0; j < 8; ++j) summ = dpwssd_m<(NT > 1)>(summ, mm[j], x.bsums + 2 * j);
        const __m512 xd = _mm512_set1_ps(x.d);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi[t]), _mm512_mul_ps(d, xd), acc[t]);
        acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(summ), _mm512_mul_ps(dm, xd), acc[t]);
      }
    }
    store_group<NT>(a, r, acc);
  }
}

// q6_k x16: w = d * sc[s] * (u - 32), u 6-bit = 4 low bits (ql) | 2 high (qh); sc int8 per
// 16-element sub-block s.
template <int NT>
void mv_q6_k_x16(const MatvecArgs& a, int64_t r0, int64_t r1) {
  const int64_t rg = group_end(r0, r1);
  base_tail<NT>(kLevel, DType::q6_k, a, rg, r1);
  r1 = rg;
  const int64_t nb = a.n / QK_K;
  const size_t gstride = a.w_stride * kX16Rows;
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
  for (int64_t r = r0; r < r1; r += kX16Rows) {
    const auto* w =
        reinterpret_cast<const BlockQ6_Kx16*>(static_cast<const char*>(a.w) + (r / kX16Rows) * gstride);
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ6_Kx16& B = w[b];
      prefetch_ahead(B);
      __m512i sumi[NT];
      for (int t = 0; t < NT; ++t) sumi[t] = _mm512_setzero_si512();
      // elements 128h + 32s + 16f + 4c + 0..3 (f = 0, 1; c = 0..3), sub-block 8h + 2s + f: low bits
      // from ql group 16h + 8(s % 2) + 4f + c (low nibbles for s < 2, high for s >= 2), high bits
      // 2s, 2s + 1 of qh group 8h + 4f + c: 3 loads give the 4 values s = 0..3 of one column group
      for (int h = 0; h < 2; ++h)
        for (int f = 0; f < 2; ++f) {
          __m512i u[4][4];
          for (int c = 0; c < 4; ++c) {
            const __m512i l0 = load2x256(B.ql[16 * h + 4 * f + c]),
                          l1 = load2x256(B.ql[16 * h + 8 + 4 * f + c]);
            const __m512i qh = load2x256(B.qh[8 * h + 4 * f + c]);
            // (lo & 0x0F) | (hi & 0x30) as one vpternlogd: A | (B & C), imm 0xF8
            const auto put = [&](__m512i lo, __m512i hi) {
              return _mm512_ternarylogic_epi32(_mm512_and_si512(lo, m4), hi, m30, 0xF8);
            };
            u[0][c] = put(l0, _mm512_slli_epi16(qh, 4));
            u[1][c] = put(l1, _mm512_slli_epi16(qh, 2));
            u[2][c] = put(_mm512_srli_epi16(l0, 4), qh);
            u[3][c] = put(_mm512_srli_epi16(l1, 4), _mm512_srli_epi16(qh, 2));
          }
          __m512i sc[4];
          for (int q = 0; q < 4; ++q) sc[q] = _mm512_cvtepi8_epi32(load16(B.scales[8 * h + 2 * q + f]));
          for (int t = 0; t < NT; ++t) {
            const int8_t* xq = act_row(a, t)[b].qs + 128 * h + 16 * f;
            __m512i dq[4];
            for (int q = 0; q < 4; ++q) {
              dq[q] = dpbusd_m<(NT > 1)>(_mm512_setzero_si512(), u[q][0], xq + 32 * q);
              for (int c = 1; c < 4; ++c) dq[q] = dpbusd_m<(NT > 1)>(dq[q], u[q][c], xq + 32 * q + 4 * c);
            }
            const __m512i p01 =
                _mm512_add_epi32(_mm512_mullo_epi32(dq[0], sc[0]), _mm512_mullo_epi32(dq[1], sc[1]));
            const __m512i p23 =
                _mm512_add_epi32(_mm512_mullo_epi32(dq[2], sc[2]), _mm512_mullo_epi32(dq[3], sc[3]));
            sumi[t] = _mm512_add_epi32(sumi[t], _mm512_add_epi32(p01, p23));
          }
        }
      // the -32: int16 pairs (sc[2m], sc[2m + 1]) against the activation sums of sub-blocks 2m, 2m + 1
      __m512i sp[8];
      for (int m = 0; m < 8; ++m) {
        const __m512i e = _mm512_cvtepi8_epi32(load16(B.scales[2 * m]));
        const __m512i o = _mm512_cvtepi8_epi32(load16(B.scales[2 * m + 1]));
        sp[m] = _mm512_or_si512(_mm512_and_si512(e, _mm512_set1_epi32(0xFFFF)), _mm512_slli_epi32(o, 16));
      }
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.d)));
      for (int t = 0; t < NT; ++t) {
        const ActQ8_256& x = act_row(a, t)[b];
        __m512i so = _mm512_setzero_si512();
        for (int m = 0; m < 8; ++m) so = dpwssd_m<(NT > 1)>(so, sp[m], x.bsums + 2 * m);
        const __m512i si = _mm512_sub_epi32(sumi[t], _mm512_slli_epi32(so, 5));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(si), _mm512_mul_ps(d, _mm512_set1_ps(x.d)), acc[t]);
      }
    }
    store_group<NT>(a, r, acc);
  }
}

// q8_0 x16: w = d * q, q int8 per 32-element block; stored signed, made unsigned (q + 128) by one
// xor per vector, the 128 * sum(x) taken off with the activation block's sum.
template <int NT>
void mv_q8_0_x16(const MatvecArgs& a, int64_t r0, int64_t r1) {
  const int64_t rg = group_end(r0, r1);
  base_tail<NT>(kLevel, DType::q8_0, a, rg, r1);
  r1 = rg;
  const int64_t nb = a.n / QK;
  const size_t gstride = a.w_stride * kX16Rows;
  const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t r = r0; r < r1; r += kX16Rows) {
    const auto* w =
        reinterpret_cast<const BlockQ8_0x16*>(static_cast<const char*>(a.w) + (r / kX16Rows) * gstride);
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ8_0x16& B = w[b];
      prefetch_ahead<(NT > 3)>(B);
      __m512i u[8];
      for (int c = 0; c < 8; ++c) u[c] = _mm512_xor_si512(load2x256(B.qs[c]), k80);  // 544-byte blocks
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.d)));
      for (int t = 0; t < NT; ++t) {
        const ActQ8_32& x =
            reinterpret_cast<const ActQ8_32*>(static_cast<const char*>(a.act) + t * a.act_stride)[b];
        __m512i d0 = _mm512_set1_epi32(-128 * x.sum), d1 = _mm512_setzero_si512();
        for (int c = 0; c < 8; c += 2) {
          d0 = dpbusd_m<(NT > 1)>(d0, u[c], x.qs + 4 * c);
          d1 = dpbusd_m<(NT > 1)>(d1, u[c + 1], x.qs + 4 * c + 4);
        }
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(d0, d1)),
                                 _mm512_mul_ps(d, _mm512_set1_ps(x.d)), acc[t]);
      }
    }
    store_group<NT>(a, r, acc);
  }
}

}  // namespace

// The repacked types' kernels from avx512_vnni on (below it the loader does not repack).
void fill_matvec_x16_avx512(KernelTable& t, cpu::Level level) {
  if (static_cast<int>(level) < static_cast<int>(cpu::Level::avx512_vnni)) return;
  fill_rows(t.of(DType::q4_k_x16).matvec, [](auto nt) -> MatvecFn { return &mv_q4_k_x16<nt()>; });
  fill_rows(t.of(DType::q6_k_x16).matvec, [](auto nt) -> MatvecFn { return &mv_q6_k_x16<nt()>; });
  fill_rows(t.of(DType::q8_0_x16).matvec, [](auto nt) -> MatvecFn { return &mv_q8_0_x16<nt()>; });
  t.of(DType::q4_k_x16).act = t.of(DType::q6_k_x16).act = ActFormat::q8_256;
  t.of(DType::q8_0_x16).act = ActFormat::q8_32;
}

}  // namespace lw::kernels::isa
