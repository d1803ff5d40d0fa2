// Elementwise and row-wise forward kernels: embedding, RMSNorm, RoPE, SwiGLU, softmax, residual.
#include "engine/ops.hpp"

#include <omp.h>

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "util/error.hpp"
#include "util/thread_pool.hpp"

namespace lw::engine {

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  ThreadPool::global().resize(n);
}

int num_threads() { return omp_get_max_threads(); }

void embedding_forward(float* out, const int32_t* ids, int T, const Tensor& table) {
  const int64_t V = table.rows(), C = table.cols();
  for (int t = 0; t < T; ++t) {
    if (ids[t] < 0 || ids[t] >= V)
      fail_input("token id {} at position {} is outside the vocabulary [0, {})", ids[t], t, V);
  }
#pragma omp parallel for schedule(static) if (int64_t{T} * C > (1 << 16))
  for (int t = 0; t < T; ++t) {
    const Tensor row = table.row_slice(ids[t], 1);
    to_f32(table.dtype, row.data, out + static_cast<int64_t>(t) * C, C);
  }
}

void rmsnorm_forward(float* out, float* rstd, const float* x, const float* w, int T, int C,
                     float eps) {
#pragma omp parallel for schedule(static) if (int64_t{T} * C > (1 << 16))
  for (int t = 0; t < T; ++t) {
    const float* xr = x + static_cast<int64_t>(t) * C;
    float* o = out + static_cast<int64_t>(t) * C;
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int i = 0; i < C; ++i) ss += xr[i] * xr[i];
    float r = 1.0f / std::sqrt(ss / static_cast<float>(C) + eps);
    if (rstd) rstd[t] = r;
#pragma omp simd
    for (int i = 0; i < C; ++i) o[i] = xr[i] * r * w[i];
  }
}

void rope_cos_sin(float* cos, float* sin, const int32_t* pos, int T,
                  const std::vector<float>& inv_freq) {
  const int half = static_cast<int>(inv_freq.size());
#pragma omp parallel for schedule(static) if (int64_t{T} * half > (1 << 14))
  for (int t = 0; t < T; ++t) {
    for (int i = 0; i < half; ++i) {
      // The angle is rounded to f32 first, as HF computes it (positions @ inv_freq in f32).
      float a = static_cast<float>(pos[t]) * inv_freq[i];
      cos[static_cast<int64_t>(t) * half + i] = static_cast<float>(std::cos(static_cast<double>(a)));
      sin[static_cast<int64_t>(t) * half + i] = static_cast<float>(std::sin(static_cast<double>(a)));
    }
  }
}

void rope_forward(float* x, const float* cos, const float* sin, int T, int n_head, int hd,
                  int rot_dim, bool interleaved, bool inverse) {
  const int half = rot_dim / 2;
  const float sgn = inverse ? -1.0f : 1.0f;
#pragma omp parallel for schedule(static) if (int64_t{T} * n_head * rot_dim > (1 << 16))
  for (int t = 0; t < T; ++t) {
    const float* c = cos + static_cast<int64_t>(t) * half;
    const float* s = sin + static_cast<int64_t>(t) * half;
    for (int h = 0; h < n_head; ++h) {
      float* xh = x + (static_cast<int64_t>(t) * n_head + h) * hd;
      if (interleaved) {
        for (int i = 0; i < half; ++i) {
          float a = xh[2 * i], b = xh[2 * i + 1], si = sgn * s[i];
          xh[2 * i] = a * c[i] - b * si;
          xh[2 * i + 1] = b * c[i] + a * si;
        }
      } else {
        for (int i = 0; i < half; ++i) {
          float a = xh[i], b = xh[i + half], si = sgn * s[i];
          xh[i] = a * c[i] - b * si;
          xh[i + half] = b * c[i] + a * si;
        }
      }
    }
  }
}

void swiglu_forward(float* out, const float* gate, const float* up, int T, int ffn) {
  const int64_t n = static_cast<int64_t>(T) * ffn;
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void softmax_forward(float* out, const float* x, int rows, int cols) {
#pragma omp parallel for schedule(static) if (int64_t{rows} * cols > (1 << 16))
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<int64_t>(r) * cols;
    float* o = out + static_cast<int64_t>(r) * cols;
    float m = -INFINITY;
    for (int i = 0; i < cols; ++i) m = std::max(m, xr[i]);
    float sum = 0.0f;
    for (int i = 0; i < cols; ++i) {
      o[i] = std::exp(xr[i] - m);
      sum += o[i];
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < cols; ++i) o[i] *= inv;
  }
}

void add_inplace(float* out, const float* x, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) out[i] += x[i];
}

}  // namespace lw::engine
