// Matrix-vector kernels of the repacked types q4_k_x16, q6_k_x16 and q8_0_x16 (quant/repack.hpp: 16
// weight rows interleaved) with AVX2, for 1..kMaxMatvecRows activation rows. A group's 64 bytes of one column
// group are two ymm halves (rows 0-7 and 8-15): each int32 lane holds 4 consecutive weights of one
// row, so vpmaddubsw against 4 activation bytes broadcast leaves a row's two pair sums in its lane's
// two int16 halves, and vpmaddwd with the sub-block's scale in both halves of the lane applies the
// scale per row and sums the pair (no horizontal sums; each activation row ends as 8 outputs per
// vector). The int16 pair sums of a whole sub-block are added before that one vpmaddwd:
//   q4_k: u <= 15, |x| <= 127 (quant/act.cpp): 8 column groups of a 32-element sub-block,
//         8 * 2 * 15 * 127 = 30,480 < 32,767
//   q6_k: u <= 63 (the -32 from the activation sums, as at avx512): 2 column groups,
//         2 * 2 * 63 * 127 = 32,004 < 32,767
// Per 8 weight rows, activation row and 32 columns: 8 vpmaddubsw + 1 (q4_k) or 4 (q6_k) vpmaddwd
// (the base layout's kernels: 8 vpmaddubsw + 8 vpmaddwd). q8_0 (mv_q8_0_x16) saves the per-row float
// work instead. The two halves of a group are the inner loop, so each stored line is used whole
// before the next one (the halves as the outer loop, each line read twice per super-block, made q6_k
// one row from memory 14 % slower than the base layout at the 8B shape; this order 1.2x faster).
// Rows after the last whole group take the avx2 level's base kernel.
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

constexpr cpu::Level kLevel = cpu::Level::avx2;  // the base kernels of the rows after the groups

// 4 activation bytes broadcast to the 8 lanes.
inline __m256i bcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}
inline __m256i load32(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
inline __m128i load16(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
// Bytes 8v .. 8v + 7 of e and o (rows 8v .. 8v + 7 of two 16-row byte vectors) as int16 pairs
// (e, o) per int32 lane; pair_u8: (b, b).
inline __m256i pair2_u8(__m128i e, __m128i o, int v) {
  return _mm256_cvtepu8_epi16(v ? _mm_unpackhi_epi8(e, o) : _mm_unpacklo_epi8(e, o));
}
inline __m256i pair_u8(__m128i b, int v) {
  return pair2_u8(b, b, v);
}
// The same for 8 signed bytes at e and at o.
inline __m256i pair2_s8(const int8_t* e, const int8_t* o) {
  return _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(e)),
                                                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(o))));
}
inline __m256 half_to_f32(const uint16_t* h) {
  return _mm256_cvtph_ps(load16(h));
}

// Outputs of the group at row r: acc[t][v] (+ bias) -> out[t][r + 8v .. r + 8v + 7].
template <int NT>
inline void store_group(const MatvecArgs& a, int64_t r, const __m256 (*acc)[2]) {
  for (int v = 0; v < 2; ++v) {
    const __m256 bias = a.bias ? _mm256_loadu_ps(a.bias + r + 8 * v) : _mm256_setzero_ps();
    for (int t = 0; t < NT; ++t)
      _mm256_storeu_ps(a.out + t * a.out_stride + r + 8 * v, _mm256_add_ps(acc[t][v], bias));
  }
}

// The order of a group's two halves (rows 0-7, 8-15) against the super-block's lines. One
// activation row (bound by memory): halves inner, each stored line used whole before the next (the
// halves outer read every line twice per super-block and made q6_k at the 8B shape 14 % slower than
// the base layout; halves inner 1.2x faster). From two rows (bound by the multiplies): halves outer,
// so the broadcast activations are not kept across the halves (GCC spilled them: q4_k 4 rows
// 1,056-1,232 against 801 µs at the 1B shape).
template <int NT>
struct Halves {
  static constexpr int outer = NT == 1 ? 1 : 2, inner = NT == 1 ? 2 : 1;
};

// q4_k x16: w = d * sc[j] * u - dmin * m[j], u 4-bit; sc, m 6-bit per 32-element sub-block j.
template <int NT>
void mv_q4_k_x16(const MatvecArgs& a, int64_t r0, int64_t r1) {
  const int64_t rg = group_end(r0, r1);
  base_tail<NT>(kLevel, DType::q4_k, a, rg, r1);
  r1 = rg;
  const int64_t nb = a.n / QK_K;
  const size_t gstride = a.w_stride * kX16Rows;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t r = r0; r < r1; r += kX16Rows) {
    const auto* w =
        reinterpret_cast<const BlockQ4_Kx16*>(static_cast<const char*>(a.w) + (r / kX16Rows) * gstride);
    __m256 acc[NT][2];
    for (int t = 0; t < NT; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ4_Kx16& B = w[b];
      __m128i sc8[8], mn8[8];
      k4_scales_x16(B, sc8, mn8);
      // rows 8v .. 8v + 7: the halves as the inner loop for one activation row, else outer (kHalves)
      __m256i sumi[NT][2];
      for (int t = 0; t < NT; ++t) sumi[t][0] = sumi[t][1] = _mm256_setzero_si256();
      for (int vo = 0; vo < Halves<NT>::outer; ++vo)
        for (int j = 0; j < 8; ++j)  // sub-block: elements 32j .. 32j + 31
          for (int vi = 0; vi < Halves<NT>::inner; ++vi) {
            const int v = vo + vi;
            if (v == 0) prefetch_step(B, j, 8);
            const int k = j / 2;
            __m256i u[8];
            for (int g = 0; g < 8; ++g) {
              const __m256i x = load32(&B.qs[8 * k + g][8 * v]);
              u[g] = j % 2 ? _mm256_and_si256(_mm256_srli_epi16(x, 4), m4) : _mm256_and_si256(x, m4);
            }
            const __m256i s16 = pair_u8(sc8[j], v);
            for (int t = 0; t < NT; ++t) {
              const int8_t* xq = act_row(a, t)[b].qs + 32 * j;
              __m256i p0 = _mm256_maddubs_epi16(u[0], bcast4(xq)),
                      p1 = _mm256_maddubs_epi16(u[1], bcast4(xq + 4));
              for (int g = 2; g < 8; g += 2) {
                p0 = _mm256_add_epi16(p0, _mm256_maddubs_epi16(u[g], bcast4(xq + 4 * g)));
                p1 = _mm256_add_epi16(p1, _mm256_maddubs_epi16(u[g + 1], bcast4(xq + 4 * g + 4)));
              }
              sumi[t][v] = _mm256_add_epi32(sumi[t][v], _mm256_madd_epi16(_mm256_add_epi16(p0, p1), s16));
            }
          }
      for (int v = 0; v < 2; ++v) {
        // mins: int16 pairs (m[2i], m[2i + 1]) against the activation sums of sub-blocks 2i, 2i + 1
        __m256i mp[4];
        for (int i = 0; i < 4; ++i) mp[i] = pair2_u8(mn8[2 * i], mn8[2 * i + 1], v);
        const __m256 d = half_to_f32(B.d + 8 * v), dm = half_to_f32(B.dmin + 8 * v);
        for (int t = 0; t < NT; ++t) {
          const ActQ8_256& x = act_row(a, t)[b];
          // sums of the 32-element sub-blocks (|sum| <= 32 * 127 fits int16), pairs per int32
          const __m128i s32 = _mm_hadd_epi16(load16(x.bsums), load16(x.bsums + 8));
          __m256i summ = _mm256_madd_epi16(mp[0], _mm256_broadcastd_epi32(s32));
          summ =
              _mm256_add_epi32(summ, _mm256_madd_epi16(mp[1], _mm256_set1_epi32(_mm_extract_epi32(s32, 1))));
          summ =
              _mm256_add_epi32(summ, _mm256_madd_epi16(mp[2], _mm256_set1_epi32(_mm_extract_epi32(s32, 2))));
          summ =
              _mm256_add_epi32(summ, _mm256_madd_epi16(mp[3], _mm256_set1_epi32(_mm_extract_epi32(s32, 3))));
          const __m256 xd = _mm256_set1_ps(x.d);
          acc[t][v] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[t][v]), _mm256_mul_ps(d, xd), acc[t][v]);
          acc[t][v] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(summ), _mm256_mul_ps(dm, xd), acc[t][v]);
        }
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
  const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
  for (int64_t r = r0; r < r1; r += kX16Rows) {
    const auto* w =
        reinterpret_cast<const BlockQ6_Kx16*>(static_cast<const char*>(a.w) + (r / kX16Rows) * gstride);
    __m256 acc[NT][2];
    for (int t = 0; t < NT; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ6_Kx16& B = w[b];
      // rows 8v .. 8v + 7: the halves as the inner loop for one activation row, else outer (kHalves)
      __m256i sumi[NT][2];
      for (int t = 0; t < NT; ++t) sumi[t][0] = sumi[t][1] = _mm256_setzero_si256();
      // elements 128h + 32q + 16f + 4c + 0..3 (f = 0, 1; c = 0..3), sub-block 8h + 2q + f: low
      // bits from ql group 16h + 8(q % 2) + 4f + c (low nibbles for q < 2, high for q >= 2), high
      // bits 2q, 2q + 1 of qh group 8h + 4f + c
      for (int vo = 0; vo < Halves<NT>::outer; ++vo)
        for (int h = 0; h < 2; ++h)
          for (int f = 0; f < 2; ++f)
            for (int e = 0; e < 2; ++e)  // q = e (low nibbles) and e + 2 (high): one ql load for both
              for (int vi = 0; vi < Halves<NT>::inner; ++vi) {
                const int v = vo + vi;
                if (v == 0) prefetch_step(B, 4 * h + 2 * f + e, 8);
                __m256i u[2][4];
                for (int c = 0; c < 4; ++c) {
                  const __m256i l = load32(&B.ql[16 * h + 8 * e + 4 * f + c][8 * v]);
                  const __m256i qh = load32(&B.qh[8 * h + 4 * f + c][8 * v]);
                  const __m256i h0 = e ? _mm256_slli_epi16(qh, 2) : _mm256_slli_epi16(qh, 4);
                  const __m256i h1 = e ? _mm256_srli_epi16(qh, 2) : qh;
                  u[0][c] = _mm256_or_si256(_mm256_and_si256(l, m4), _mm256_and_si256(h0, m30));
                  u[1][c] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l, 4), m4),
                                            _mm256_and_si256(h1, m30));
                }
                for (int k = 0; k < 2; ++k) {
                  const int q = e + 2 * k;
                  const int8_t* sp8 = &B.scales[8 * h + 2 * q + f][8 * v];
                  const __m256i sc = pair2_s8(sp8, sp8);
                  for (int t = 0; t < NT; ++t) {
                    const int8_t* xq = act_row(a, t)[b].qs + 128 * h + 32 * q + 16 * f;
                    const __m256i p0 = _mm256_add_epi16(_mm256_maddubs_epi16(u[k][0], bcast4(xq)),
                                                        _mm256_maddubs_epi16(u[k][1], bcast4(xq + 4)));
                    const __m256i p1 = _mm256_add_epi16(_mm256_maddubs_epi16(u[k][2], bcast4(xq + 8)),
                                                        _mm256_maddubs_epi16(u[k][3], bcast4(xq + 12)));
                    sumi[t][v] = _mm256_add_epi32(
                        sumi[t][v], _mm256_add_epi32(_mm256_madd_epi16(p0, sc), _mm256_madd_epi16(p1, sc)));
                  }
                }
              }
      for (int v = 0; v < 2; ++v) {
        // the -32: int16 pairs (sc[2m], sc[2m + 1]) against the activation sums of sub-blocks 2m, 2m + 1
        __m256i sp[8];
        for (int m = 0; m < 8; ++m) sp[m] = pair2_s8(&B.scales[2 * m][8 * v], &B.scales[2 * m + 1][8 * v]);
        const __m256 d = half_to_f32(B.d + 8 * v);
        for (int t = 0; t < NT; ++t) {
          const ActQ8_256& x = act_row(a, t)[b];
          __m256i so = _mm256_madd_epi16(sp[0], bcast4(x.bsums));
          for (int m = 1; m < 8; ++m)
            so = _mm256_add_epi32(so, _mm256_madd_epi16(sp[m], bcast4(x.bsums + 2 * m)));
          const __m256i si = _mm256_sub_epi32(sumi[t][v], _mm256_slli_epi32(so, 5));
          acc[t][v] =
              _mm256_fmadd_ps(_mm256_cvtepi32_ps(si), _mm256_mul_ps(d, _mm256_set1_ps(x.d)), acc[t][v]);
        }
      }
    }
    store_group<NT>(a, r, acc);
  }
}

// q8_0 x16: w = d * q, q int8 per 32-element block. vpmaddubsw takes unsigned weights: |q| once per
// vector, q's sign moved onto the broadcast activations (vpsignb, q read from the block as its
// operand); |q| * |x| <= 127 * 127 leaves no room for int16 sums, so one vpmaddwd with ones per
// product. Per 8 weight rows, activation row and 32 columns: 8 vpsignb + 8 vpmaddubsw + 8 vpmaddwd
// and one f32 FMA (the base layout: the same products plus an FMA and a scale broadcast per row).
template <int NT>
void mv_q8_0_x16(const MatvecArgs& a, int64_t r0, int64_t r1) {
  const int64_t rg = group_end(r0, r1);
  base_tail<NT>(kLevel, DType::q8_0, a, rg, r1);
  r1 = rg;
  const int64_t nb = a.n / QK;
  const size_t gstride = a.w_stride * kX16Rows;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = r0; r < r1; r += kX16Rows) {
    const auto* w =
        reinterpret_cast<const BlockQ8_0x16*>(static_cast<const char*>(a.w) + (r / kX16Rows) * gstride);
    __m256 acc[NT][2];
    for (int t = 0; t < NT; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ8_0x16& B = w[b];
      prefetch_block(B);
      for (int v = 0; v < 2; ++v) {  // rows 8v .. 8v + 7
        __m256i aw[8];
        for (int c = 0; c < 8; ++c) aw[c] = _mm256_abs_epi8(load32(&B.qs[c][8 * v]));
        const __m256 d = half_to_f32(B.d + 8 * v);
        for (int t = 0; t < NT; ++t) {
          const ActQ8_32& x =
              reinterpret_cast<const ActQ8_32*>(static_cast<const char*>(a.act) + t * a.act_stride)[b];
          __m256i s0 = _mm256_setzero_si256(), s1 = s0;  // two chains
          for (int c = 0; c < 8; c += 2) {
            const __m256i x0 = _mm256_sign_epi8(bcast4(x.qs + 4 * c), load32(&B.qs[c][8 * v]));
            const __m256i x1 = _mm256_sign_epi8(bcast4(x.qs + 4 * c + 4), load32(&B.qs[c + 1][8 * v]));
            s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_maddubs_epi16(aw[c], x0), ones));
            s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_maddubs_epi16(aw[c + 1], x1), ones));
          }
          acc[t][v] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(s0, s1)),
                                      _mm256_mul_ps(d, _mm256_set1_ps(x.d)), acc[t][v]);
        }
      }
    }
    store_group<NT>(a, r, acc);
  }
}

}  // namespace

// The repacked types' kernels from avx2 on (from avx512_vnni on matvec_x16_avx512.cpp's replace them).
void fill_matvec_x16_avx2(KernelTable& t, cpu::Level) {
  fill_rows(t.of(DType::q4_k_x16).matvec, [](auto nt) -> MatvecFn { return &mv_q4_k_x16<nt()>; });
  fill_rows(t.of(DType::q6_k_x16).matvec, [](auto nt) -> MatvecFn { return &mv_q6_k_x16<nt()>; });
  fill_rows(t.of(DType::q8_0_x16).matvec, [](auto nt) -> MatvecFn { return &mv_q8_0_x16<nt()>; });
  t.of(DType::q8_0_x16).act = ActFormat::q8_32;
  t.of(DType::q4_k_x16).act = t.of(DType::q6_k_x16).act = ActFormat::q8_256;
}

}  // namespace lw::kernels::isa
