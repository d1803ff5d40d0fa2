// Naive reference kernels (tests only): plain loops in double precision.
#include "engine/ops_ref.hpp"

#include <cmath>
#include <vector>

namespace lw::engine::ref {

template <typename F>
void rmsnorm_forward(F* out, std::type_identity_t<F>* rstd, const F* x, const F* w, int T, int C, float eps) {
  for (int t = 0; t < T; ++t) {
    double ss = 0;
    for (int i = 0; i < C; ++i) ss += double(x[t * C + i]) * x[t * C + i];
    double r = 1.0 / std::sqrt(ss / C + eps);
    if (rstd) rstd[t] = static_cast<F>(r);
    for (int i = 0; i < C; ++i) out[t * C + i] = static_cast<F>(x[t * C + i] * r * w[i]);
  }
}

template <typename F>
void matmul_forward(F* out, const F* x, const F* w, const std::type_identity_t<F>* bias, int T, int IC,
                    int OC) {
  for (int t = 0; t < T; ++t)
    for (int64_t o = 0; o < OC; ++o) {
      double acc = bias ? bias[o] : 0.0;
      for (int64_t i = 0; i < IC; ++i) acc += double(x[t * IC + i]) * w[o * IC + i];
      out[t * OC + o] = static_cast<F>(acc);
    }
}

void matmul_forward(float* out, const float* x, const Tensor& w, const float* bias, int T) {
  const int64_t OC = w.rows(), IC = w.cols();
  std::vector<float> wf(static_cast<size_t>(OC * IC));  // (OC, IC)
  to_f32(w.dtype, w.data, wf.data(), OC * IC);
  matmul_forward(out, x, wf.data(), bias, T, static_cast<int>(IC), static_cast<int>(OC));
}

template <typename F>
void rope_forward(F* x, const int32_t* pos, int T, int n_head, int hd, int rot_dim, bool interleaved,
                  const std::vector<float>& inv_freq) {
  const int half = rot_dim / 2;
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < n_head; ++h) {
      F* xh = x + (static_cast<int64_t>(t) * n_head + h) * hd;  // (hd)
      for (int i = 0; i < half; ++i) {
        double a = double(static_cast<float>(pos[t]) * inv_freq[i]);
        int i0 = interleaved ? 2 * i : i, i1 = interleaved ? 2 * i + 1 : i + half;
        double x0 = xh[i0], x1 = xh[i1];
        xh[i0] = static_cast<F>(x0 * std::cos(a) - x1 * std::sin(a));
        xh[i1] = static_cast<F>(x1 * std::cos(a) + x0 * std::sin(a));
      }
    }
}

template <typename F>
void swiglu_forward(F* out, const F* gate, const F* up, int T, int ffn) {
  for (int64_t i = 0; i < static_cast<int64_t>(T) * ffn; ++i) {
    double g = gate[i];
    out[i] = static_cast<F>(g / (1.0 + std::exp(-g)) * up[i]);
  }
}

void softmax_forward(float* out, const float* x, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < cols; ++i) m = std::max(m, double(x[r * cols + i]));
    std::vector<double> e(cols);
    for (int i = 0; i < cols; ++i) sum += e[i] = std::exp(x[r * cols + i] - m);
    for (int i = 0; i < cols; ++i) out[r * cols + i] = static_cast<float>(e[i] / sum);
  }
}

template <typename F>
void attention_forward(F* out, const F* q, const F* k, const F* v, const int32_t* cu_seqlens, int n_seq,
                       const AttnDims& d, F* lse) {
  const int group = d.n_head / d.n_kv_head;
  const int64_t qs = d.q_dim(), ks = d.kv_dim();
  for (int s = 0; s < n_seq; ++s) {
    const int b = cu_seqlens[s], e = cu_seqlens[s + 1], L = e - b;
    for (int h = 0; h < d.n_head; ++h) {
      const int kh = h / group;
      // Full (L, L) score matrix, masked above the diagonal.
      std::vector<double> S(static_cast<size_t>(L) * L, -INFINITY);
      for (int i = 0; i < L; ++i)
        for (int j = 0; j <= i; ++j) {
          double acc = 0;
          for (int c = 0; c < d.hd; ++c)
            acc += double(q[(b + i) * qs + h * d.hd + c]) * k[(b + j) * ks + kh * d.hd + c];
          S[i * L + j] = acc * d.scale;
        }
      for (int i = 0; i < L; ++i) {
        double m = -INFINITY, sum = 0;
        for (int j = 0; j <= i; ++j) m = std::max(m, S[i * L + j]);
        for (int j = 0; j <= i; ++j) sum += S[i * L + j] = std::exp(S[i * L + j] - m);
        if (lse) lse[static_cast<int64_t>(b + i) * d.n_head + h] = static_cast<F>(m + std::log(sum));
        for (int c = 0; c < d.hd; ++c) {
          double acc = 0;
          for (int j = 0; j <= i; ++j) acc += S[i * L + j] / sum * v[(b + j) * ks + kh * d.hd + c];
          out[(b + i) * qs + h * d.hd + c] = static_cast<F>(acc);
        }
      }
    }
  }
}

#define LW_INSTANTIATE(F)                                                                                    \
  template void rmsnorm_forward<F>(F*, F*, const F*, const F*, int, int, float);                             \
  template void matmul_forward<F>(F*, const F*, const F*, const F*, int, int, int);                          \
  template void rope_forward<F>(F*, const int32_t*, int, int, int, int, bool, const std::vector<float>&);    \
  template void swiglu_forward<F>(F*, const F*, const F*, int, int);                                         \
  template void attention_forward<F>(F*, const F*, const F*, const F*, const int32_t*, int, const AttnDims&, \
                                     F*);
LW_INSTANTIATE(float)
LW_INSTANTIATE(double)
#undef LW_INSTANTIATE

}  // namespace lw::engine::ref
