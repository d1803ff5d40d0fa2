// Vectorised kernels (see vec_kernels.hpp).
// GCC 12 flags the _mm512_undefined_* placeholders inside its own reduce intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "train/vec_kernels.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "engine/attention_exp.hpp"

namespace lw::train {

namespace {

#define LW_TRAIN_AVX512 __attribute__((target("avx512f,avx512dq,fma")))

bool have_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return yes;
}

LW_TRAIN_AVX512 float row_max_avx512(const float* x, int n) {
  __m512 m = _mm512_set1_ps(-INFINITY);
  int j = 0;
  for (; j + 16 <= n; j += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + j));
  if (j < n) {
    const __mmask16 k = (__mmask16)((1u << (n - j)) - 1);
    m = _mm512_mask_max_ps(m, k, m, _mm512_maskz_loadu_ps(k, x + j));
  }
  return _mm512_reduce_max_ps(m);
}

LW_TRAIN_AVX512 float exp_sub_sum_avx512(float* x, int n, float sub) {
  const __m512 s = _mm512_set1_ps(sub);
  __m512 acc = _mm512_setzero_ps();
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 e = engine::simd::exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), s));
    _mm512_storeu_ps(x + j, e);
    acc = _mm512_add_ps(acc, e);
  }
  if (j < n) {
    const __mmask16 k = (__mmask16)((1u << (n - j)) - 1);
    // Masked-off lanes load `sub`, so they compute exp(0) and are never stored or summed.
    __m512 v = _mm512_mask_loadu_ps(s, k, x + j);
    __m512 e = engine::simd::exp512(_mm512_sub_ps(v, s));
    _mm512_mask_storeu_ps(x + j, k, e);
    acc = _mm512_mask_add_ps(acc, k, acc, e);
  }
  return _mm512_reduce_add_ps(acc);
}

// sigmoid(g) for 16 lanes: 1 / (1 + exp(-g)); exp overflows to inf for g < -88, giving 0.
LW_TRAIN_AVX512 inline __m512 sigmoid16(__m512 g) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, engine::simd::exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
}

LW_TRAIN_AVX512 void swiglu_forward_avx512(float* out, const float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 g = _mm512_loadu_ps(gate + i);
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_mul_ps(g, sigmoid16(g)), _mm512_loadu_ps(up + i)));
  }
  swiglu_forward_rows_ref(out + i, gate + i, up + i, n - i);
}

LW_TRAIN_AVX512 void swiglu_backward_avx512(float* dgate, float* dup, const float* dout, const float* gate,
                                            const float* up, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 g = _mm512_loadu_ps(gate + i), u = _mm512_loadu_ps(up + i), d = _mm512_loadu_ps(dout + i);
    const __m512 sig = sigmoid16(g);
    _mm512_storeu_ps(dup + i, _mm512_mul_ps(d, _mm512_mul_ps(g, sig)));
    // d * u * sig * (1 + g * (1 - sig))
    const __m512 k = _mm512_fmadd_ps(g, _mm512_sub_ps(one, sig), one);
    _mm512_storeu_ps(dgate + i, _mm512_mul_ps(_mm512_mul_ps(d, u), _mm512_mul_ps(sig, k)));
  }
  swiglu_backward_rows_ref(dgate + i, dup + i, dout + i, gate + i, up + i, n - i);
}

}  // namespace

void swiglu_forward_rows_ref(float* out, const float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    out[i] = g * sig * up[i];
  }
}

void swiglu_backward_rows_ref(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                              int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    dup[i] = dout[i] * g * sig;
    dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
  }
}

void swiglu_forward_rows(float* out, const float* gate, const float* up, int64_t n) {
  if (have_avx512()) return swiglu_forward_avx512(out, gate, up, n);
  swiglu_forward_rows_ref(out, gate, up, n);
}

void swiglu_backward_rows(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                          int64_t n) {
  if (have_avx512()) return swiglu_backward_avx512(dgate, dup, dout, gate, up, n);
  swiglu_backward_rows_ref(dgate, dup, dout, gate, up, n);
}

float row_max(const float* x, int n) {
  if (have_avx512()) return row_max_avx512(x, n);
  float m = x[0];
  for (int j = 1; j < n; j++) m = std::max(m, x[j]);
  return m;
}

double row_max(const double* x, int n) {
  double m = x[0];
  for (int j = 1; j < n; j++) m = std::max(m, x[j]);
  return m;
}

float exp_sub_sum_ref(float* x, int n, float sub) {
  double sum = 0;
  for (int j = 0; j < n; j++) {
    x[j] = std::exp(x[j] - sub);
    sum += x[j];
  }
  return (float)sum;
}

float exp_sub_sum(float* x, int n, float sub) {
  if (n <= 0) return 0.0f;
  if (have_avx512()) return exp_sub_sum_avx512(x, n, sub);
  return exp_sub_sum_ref(x, n, sub);
}

double exp_sub_sum(double* x, int n, double sub) {
  double sum = 0;
  for (int j = 0; j < n; j++) {
    x[j] = std::exp(x[j] - sub);
    sum += x[j];
  }
  return sum;
}

}  // namespace lw::train
