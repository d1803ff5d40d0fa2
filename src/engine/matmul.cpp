// matmul_forward: BLAS sgemm for many rows (prefill, training), a SIMD matrix-vector kernel for a
// few rows (decode). Weights in f32, bf16, f16 or q8_0; always f32 accumulation.
// GCC 12 warns falsely inside its own AVX-512 headers (_mm512_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <omp.h>

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/ops.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace {

// Rows of x handled together by the matrix-vector kernel: W is streamed once per group.
constexpr int kMaxVecRows = 8;
// From this many rows on, use sgemm.
constexpr int kGemmMinRows = 16;

// ---- portable scalar kernel ----

template <int NT>
void gemv_rows_scalar(float* out, const float* x, const Tensor& w, const float* bias, int64_t r0,
                      int64_t r1, int64_t OC) {
  const int64_t IC = w.cols();
  std::vector<float> row(static_cast<size_t>(IC));
  for (int64_t r = r0; r < r1; ++r) {
    const float* wr;
    if (w.dtype == DType::f32) {
      wr = w.f32() + r * IC;
    } else {
      to_f32(w.dtype, static_cast<const char*>(w.data) + dtype_bytes(w.dtype, r * IC), row.data(), IC);
      wr = row.data();
    }
    for (int t = 0; t < NT; ++t) {
      const float* xt = x + t * IC;
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < IC; ++i) acc += wr[i] * xt[i];
      out[t * OC + r] = acc + (bias ? bias[r] : 0.0f);
    }
  }
}

// ---- AVX-512 kernels ----

#define LW_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c,fma")))

LW_AVX512 inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
LW_AVX512 inline __m512 load16(const uint16_t* p, bool bf16) {
  __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  if (bf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  return _mm512_cvtph_ps(h);
}

template <int NT>
LW_AVX512 void gemv_rows_avx512(float* out, const float* x, const Tensor& w, const float* bias,
                                int64_t r0, int64_t r1, int64_t OC) {
  const int64_t IC = w.cols();
  const int64_t main = IC / 16 * 16;
  const int rem = static_cast<int>(IC - main);
  const __mmask16 tail = static_cast<__mmask16>((1u << rem) - 1u);
  for (int64_t r = r0; r < r1; ++r) {
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    if (w.dtype == DType::q8_0) {
      const auto* blk = static_cast<const uint8_t*>(w.data) + (r * IC / 32) * 34;
      for (int64_t b = 0; b < IC / 32; ++b, blk += 34) {
        uint16_t d16;
        std::memcpy(&d16, blk, 2);
        const __m512 d = _mm512_set1_ps(f16_to_f32(d16));
        const __m128i* q = reinterpret_cast<const __m128i*>(blk + 2);
        __m512 w0 = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(q))));
        __m512 w1 = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(q + 1))));
        for (int t = 0; t < NT; ++t) {
          acc[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + t * IC + b * 32), acc[t]);
          acc[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + t * IC + b * 32 + 16), acc[t]);
        }
      }
    } else if (w.dtype == DType::f32) {
      const float* wr = w.f32() + r * IC;
      if (NT <= 2) {  // two accumulator chains per row to hide FMA latency
        __m512 acc2[NT];
        for (int t = 0; t < NT; ++t) acc2[t] = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 32 <= main; i += 32) {
          __m512 wa = load16(wr + i), wb = load16(wr + i + 16);
          for (int t = 0; t < NT; ++t) {
            acc[t] = _mm512_fmadd_ps(wa, _mm512_loadu_ps(x + t * IC + i), acc[t]);
            acc2[t] = _mm512_fmadd_ps(wb, _mm512_loadu_ps(x + t * IC + i + 16), acc2[t]);
          }
        }
        for (; i < main; i += 16) {
          __m512 wa = load16(wr + i);
          for (int t = 0; t < NT; ++t) acc[t] = _mm512_fmadd_ps(wa, _mm512_loadu_ps(x + t * IC + i), acc[t]);
        }
        for (int t = 0; t < NT; ++t) acc[t] = _mm512_add_ps(acc[t], acc2[t]);
      } else {
        for (int64_t i = 0; i < main; i += 16) {
          __m512 wa = load16(wr + i);
          for (int t = 0; t < NT; ++t) acc[t] = _mm512_fmadd_ps(wa, _mm512_loadu_ps(x + t * IC + i), acc[t]);
        }
      }
      if (rem) {
        __m512 wa = _mm512_maskz_loadu_ps(tail, wr + main);
        for (int t = 0; t < NT; ++t)
          acc[t] = _mm512_fmadd_ps(wa, _mm512_maskz_loadu_ps(tail, x + t * IC + main), acc[t]);
      }
    } else {  // bf16 / f16
      const bool bf = w.dtype == DType::bf16;
      const uint16_t* wr = static_cast<const uint16_t*>(w.data) + r * IC;
      if (NT <= 2) {
        __m512 acc2[NT];
        for (int t = 0; t < NT; ++t) acc2[t] = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 32 <= main; i += 32) {
          __m512 wa = load16(wr + i, bf), wb = load16(wr + i + 16, bf);
          for (int t = 0; t < NT; ++t) {
            acc[t] = _mm512_fmadd_ps(wa, _mm512_loadu_ps(x + t * IC + i), acc[t]);
            acc2[t] = _mm512_fmadd_ps(wb, _mm512_loadu_ps(x + t * IC + i + 16), acc2[t]);
          }
        }
        for (; i < main; i += 16) {
          __m512 wa = load16(wr + i, bf);
          for (int t = 0; t < NT; ++t) acc[t] = _mm512_fmadd_ps(wa, _mm512_loadu_ps(x + t * IC + i), acc[t]);
        }
        for (int t = 0; t < NT; ++t) acc[t] = _mm512_add_ps(acc[t], acc2[t]);
      } else {
        for (int64_t i = 0; i < main; i += 16) {
          __m512 wa = load16(wr + i, bf);
          for (int t = 0; t < NT; ++t) acc[t] = _mm512_fmadd_ps(wa, _mm512_loadu_ps(x + t * IC + i), acc[t]);
        }
      }
      if (rem) {
        __m256i h = _mm256_maskz_loadu_epi16(tail, wr + main);
        __m512 wa = bf ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16))
                       : _mm512_cvtph_ps(h);
        for (int t = 0; t < NT; ++t)
          acc[t] = _mm512_fmadd_ps(wa, _mm512_maskz_loadu_ps(tail, x + t * IC + main), acc[t]);
      }
    }
    for (int t = 0; t < NT; ++t)
      out[t * OC + r] = _mm512_reduce_add_ps(acc[t]) + (bias ? bias[r] : 0.0f);
  }
}

bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                          __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma");
  return has;
}

using RowsFn = void (*)(float*, const float*, const Tensor&, const float*, int64_t, int64_t, int64_t);

template <int NT>
RowsFn pick() {
  return cpu_has_avx512() ? &gemv_rows_avx512<NT> : &gemv_rows_scalar<NT>;
}

RowsFn rows_fn(int nt) {
  switch (nt) {
    case 1: return pick<1>();
    case 2: return pick<2>();
    case 3: return pick<3>();
    case 4: return pick<4>();
    case 5: return pick<5>();
    case 6: return pick<6>();
    case 7: return pick<7>();
    default: return pick<8>();
  }
}

// out (nt, OC) for nt <= kMaxVecRows rows of x; W rows split across threads.
void gemv(float* out, const float* x, const Tensor& w, const float* bias, int nt, int64_t OC) {
  RowsFn fn = rows_fn(nt);
  const int64_t block = 16;
  const int64_t nblocks = (w.rows() + block - 1) / block;
#pragma omp parallel for schedule(static) if (nblocks > 4 && w.rows() * w.cols() * nt > (1 << 18))
  for (int64_t b = 0; b < nblocks; ++b) {
    int64_t r0 = b * block, r1 = std::min(w.rows(), r0 + block);
    fn(out, x, w, bias, r0, r1, OC);
  }
}

}  // namespace

const char* simd_level() { return cpu_has_avx512() ? "avx512" : "scalar"; }

void matmul_forward(float* out, const float* x, const Tensor& w, const float* bias, int T) {
  const int64_t OC = w.rows(), IC = w.cols();
  LW_CHECK(w.shape.size() == 2, "matmul_forward: weight must be a matrix");
  if (w.dtype == DType::q8_0) LW_CHECK(IC % 32 == 0, "q8_0 weight needs in_features % 32 == 0");
  if (T < kGemmMinRows) {
    for (int t0 = 0; t0 < T; t0 += kMaxVecRows) {
      int nt = std::min(kMaxVecRows, T - t0);
      gemv(out + t0 * OC, x + t0 * IC, w, bias, nt, OC);
    }
    return;
  }
  if (w.dtype == DType::f32) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, static_cast<int>(OC), static_cast<int>(IC),
                1.0f, x, static_cast<int>(IC), w.f32(), static_cast<int>(IC), 0.0f, out,
                static_cast<int>(OC));
  } else {
    // Convert W in row panels to f32, then sgemm each panel into its columns of out.
    const int64_t panel = std::min<int64_t>(OC, std::max<int64_t>(64, (int64_t{1} << 22) / IC));
    std::vector<float> wf(static_cast<size_t>(panel * IC));
    for (int64_t r0 = 0; r0 < OC; r0 += panel) {
      const int64_t n = std::min(panel, OC - r0);
      const int64_t chunk = 16;
#pragma omp parallel for schedule(static) if (n * IC > (1 << 16))
      for (int64_t c = 0; c < n; c += chunk) {
        int64_t m = std::min(chunk, n - c);
        to_f32(w.dtype, static_cast<const char*>(w.data) + dtype_bytes(w.dtype, (r0 + c) * IC),
               wf.data() + c * IC, m * IC);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, static_cast<int>(n), static_cast<int>(IC),
                  1.0f, x, static_cast<int>(IC), wf.data(), static_cast<int>(IC), 0.0f, out + r0,
                  static_cast<int>(OC));
    }
  }
  if (bias) {
#pragma omp parallel for schedule(static) if (T * OC > (1 << 16))
    for (int t = 0; t < T; ++t)
      for (int64_t o = 0; o < OC; ++o) out[t * OC + o] += bias[o];
  }
}

}  // namespace lw::engine
