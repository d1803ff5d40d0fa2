// Decode attention: one query row per head, all query heads of a KV head together (GQA), two
// passes over the cache (scores; then softmax and the weighted sum of values). Compared with the
// tiled prefill kernel it does not transpose key tiles (which for a single query cost more than
// the dot products) and reads each K and V row once per KV head instead of once per query head.
// GCC 12 warns falsely inside its own AVX-512 headers (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "engine/attention_decode.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "engine/attention_exp.hpp"
#include "engine/kv_load.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace {

#define LW_AVX512 __attribute__((target("avx512f,avx512dq,fma")))

// Rows ahead to prefetch in the passes over the cache.
constexpr int kPrefetch = 8;

// scores (group, Tk) = scale * q_g . k_j
// Prefetches row j + kPrefetch of a strided cache: its hd elements of E, one 64-byte line at a time.
template <typename E, int hd>
inline void prefetch_row(const E* r, int64_t kv_stride) {
  const char* p = reinterpret_cast<const char*>(r + kPrefetch * kv_stride);
  for (int b = 0; b < static_cast<int>(hd * sizeof(E)); b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
}

template <int NV, DType KT>
LW_AVX512 void scores_pass(const float* q, const simd::KvElem<KT>* k, int64_t kv_stride, int group, float scale,
                           int Tk, float* scores) {
  constexpr int hd = NV * 16;
  const __m512 sc = _mm512_set1_ps(scale);
  for (int j = 0; j < Tk; ++j) {
    const auto* kr = k + static_cast<int64_t>(j) * kv_stride;  // (hd)
    if (j + kPrefetch < Tk) prefetch_row<simd::KvElem<KT>, hd>(kr, kv_stride);  // rows are strided
    __m512 kv[NV];
    for (int c = 0; c < NV; ++c) kv[c] = simd::load16<KT>(kr + 16 * c);
    for (int g = 0; g < group; ++g) {
      const float* qg = q + g * hd;
      __m512 t = _mm512_mul_ps(_mm512_loadu_ps(qg), kv[0]);
      for (int c = 1; c < NV; ++c) t = _mm512_fmadd_ps(_mm512_loadu_ps(qg + 16 * c), kv[c], t);
      scores[static_cast<int64_t>(g) * Tk + j] = _mm512_reduce_add_ps(_mm512_mul_ps(t, sc));
    }
  }
}

// In place: row -> exp(row - max); returns {max, sum}.
LW_AVX512 void softmax_row(float* s, int Tk, float* max_out, float* sum_out) {
  const int main = Tk / 16 * 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (Tk - main)) - 1u);
  __m512 mx = _mm512_set1_ps(-INFINITY);
  for (int j = 0; j < main; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(s + j));
  if (tail) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail, s + main));
  const float m = _mm512_reduce_max_ps(mx);
  const __m512 mv = _mm512_set1_ps(m);
  __m512 sum = _mm512_setzero_ps();
  for (int j = 0; j < main; j += 16) {
    const __m512 e = simd::exp512(_mm512_sub_ps(_mm512_loadu_ps(s + j), mv));
    _mm512_storeu_ps(s + j, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (tail) {
    const __m512 e = simd::exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, s + main), mv));
    _mm512_mask_storeu_ps(s + main, tail, e);
    sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(tail, e));
  }
  *max_out = m;
  *sum_out = _mm512_reduce_add_ps(sum);
}

// out (HC, hd) = sum_j p[h][j] v_j / l[h], for HC heads at once (each V row loaded once).
template <int NV, int HC, DType KT>
LW_AVX512 void pv_pass(const float* p, int Tk, const simd::KvElem<KT>* v, int64_t kv_stride, const float* inv_l,
                       float* out) {
  constexpr int hd = NV * 16;
  __m512 acc[HC][NV];
  for (int h = 0; h < HC; ++h)
    for (int c = 0; c < NV; ++c) acc[h][c] = _mm512_setzero_ps();
  for (int j = 0; j < Tk; ++j) {
    const auto* vr = v + static_cast<int64_t>(j) * kv_stride;  // (hd)
    if (j + kPrefetch < Tk) prefetch_row<simd::KvElem<KT>, hd>(vr, kv_stride);
    __m512 vv[NV];
    for (int c = 0; c < NV; ++c) vv[c] = simd::load16<KT>(vr + 16 * c);
    for (int h = 0; h < HC; ++h) {
      const __m512 pj = _mm512_set1_ps(p[static_cast<int64_t>(h) * Tk + j]);
      for (int c = 0; c < NV; ++c) acc[h][c] = _mm512_fmadd_ps(pj, vv[c], acc[h][c]);
    }
  }
  for (int h = 0; h < HC; ++h) {
    const __m512 il = _mm512_set1_ps(inv_l[h]);
    for (int c = 0; c < NV; ++c) _mm512_storeu_ps(out + h * hd + 16 * c, _mm512_mul_ps(acc[h][c], il));
  }
}

// Heads per pv_pass: at most 16 accumulator registers.
template <int NV>
constexpr int kMaxHeads = NV >= 8 ? 2 : 4;

template <int NV, DType KT>
void decode_group(const float* q, const void* kp, const void* vp, int64_t kv_stride, int group, float scale,
                  int Tk, float* out, float* lse, float* scores) {
  constexpr int hd = NV * 16;
  const auto* k = static_cast<const simd::KvElem<KT>*>(kp);
  const auto* v = static_cast<const simd::KvElem<KT>*>(vp);
  scores_pass<NV, KT>(q, k, kv_stride, group, scale, Tk, scores);
  float inv_l[8];
  for (int h0 = 0; h0 < group; h0 += kMaxHeads<NV>) {
    const int hc = std::min(kMaxHeads<NV>, group - h0);
    for (int h = 0; h < hc; ++h) {
      float m, l;
      softmax_row(scores + static_cast<int64_t>(h0 + h) * Tk, Tk, &m, &l);
      inv_l[h] = 1.0f / l;
      if (lse) lse[h0 + h] = m + std::log(l);
    }
    const float* p = scores + static_cast<int64_t>(h0) * Tk;
    float* o = out + h0 * hd;
    switch (hc) {
      case 1: pv_pass<NV, 1, KT>(p, Tk, v, kv_stride, inv_l, o); break;
      case 2: pv_pass<NV, 2, KT>(p, Tk, v, kv_stride, inv_l, o); break;
      case 3:
        if constexpr (kMaxHeads<NV> >= 3) pv_pass<NV, 3, KT>(p, Tk, v, kv_stride, inv_l, o);
        break;
      default:
        if constexpr (kMaxHeads<NV> >= 4) pv_pass<NV, 4, KT>(p, Tk, v, kv_stride, inv_l, o);
        break;
    }
  }
}

}  // namespace

bool decode_attention_supported(int hd) {
  static const bool cpu = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                          __builtin_cpu_supports("fma");
  return cpu && (hd == 32 || hd == 64 || hd == 128);
}

void attend_decode_group(const float* q, const void* k, const void* v, DType kv_dtype, int64_t kv_stride, int hd,
                         int group, float scale, int Tk, float* out, float* lse, float* scores) {
  LW_CHECK(Tk > 0 && group > 0, "decode attention: Tk {} group {}", Tk, group);
  simd::with_kv_dtype(kv_dtype, "decode attention", [&]<DType KT>() {
    switch (hd) {
      case 32: decode_group<2, KT>(q, k, v, kv_stride, group, scale, Tk, out, lse, scores); break;
      case 64: decode_group<4, KT>(q, k, v, kv_stride, group, scale, Tk, out, lse, scores); break;
      case 128: decode_group<8, KT>(q, k, v, kv_stride, group, scale, Tk, out, lse, scores); break;
      default: fail("decode attention: head dim {} is not supported", hd);
    }
  });
}

}  // namespace lw::engine
