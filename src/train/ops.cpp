// Training ops: forward/backward pairs (see ops.hpp).
#include "train/ops.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "train/blas.hpp"
#include "train/vec_kernels.hpp"
#include "util/error.hpp"

namespace lw::train {

template <typename F>
void embedding_forward(F* out, const int32_t* tokens, const F* wte, int T, int C) {
#pragma omp parallel for if (T > 256)
  for (int t = 0; t < T; t++) std::memcpy(out + (int64_t)t * C, wte + (int64_t)tokens[t] * C, sizeof(F) * C);
}

template <typename F>
void embedding_backward(F* dwte, const F* dout, const int32_t* tokens, int T, int C) {
  // Serial over tokens (repeated tokens write the same row); parallel over channels.
  for (int t = 0; t < T; t++) {
    F* row = dwte + (int64_t)tokens[t] * C;
    const F* d = dout + (int64_t)t * C;
    for (int c = 0; c < C; c++) row[c] += d[c];
  }
}

template <typename F>
void rmsnorm_forward(F* out, F* rstd, const F* x, const F* w, int T, int C, float eps) {
#pragma omp parallel for if (T > 64)
  for (int t = 0; t < T; t++) {
    const F* xt = x + (int64_t)t * C;
    double ss = 0;
    for (int c = 0; c < C; c++) ss += (double)xt[c] * xt[c];
    F r = (F)(1.0 / std::sqrt(ss / C + eps));
    rstd[t] = r;
    F* o = out + (int64_t)t * C;
    for (int c = 0; c < C; c++) o[c] = xt[c] * r * w[c];
  }
}

template <typename F>
void rmsnorm_backward(F* dx, F* dw, const F* dout, const F* x, const F* w, const F* rstd, int T,
                      int C) {
  // dx: y = x*r*w, r = (mean(x^2)+eps)^-1/2; dx = r*g - x*r^3*(sum g*x)/C with g = dout*w.
  // dw[c] = sum_t dout*x*r: each thread sums its (static) block of rows into its own (C) partial
  // in the same pass; the partials are added in thread order, so results are reproducible.
  const int n_thr = T > 64 ? omp_get_max_threads() : 1;
  std::vector<F> part((size_t)n_thr * C, F(0));  // (n_thr, C)
#pragma omp parallel num_threads(n_thr) if (n_thr > 1)
  {
    F* pw = part.data() + (size_t)omp_get_thread_num() * C;
#pragma omp for schedule(static)
    for (int t = 0; t < T; t++) {
      const F* xt = x + (int64_t)t * C;
      const F* dy = dout + (int64_t)t * C;
      const F r = rstd[t];
      double dot = 0;
      for (int c = 0; c < C; c++) dot += (double)dy[c] * w[c] * xt[c];
      const F k = (F)(dot / C) * r * r * r;
      F* d = dx + (int64_t)t * C;
      for (int c = 0; c < C; c++) {
        d[c] += r * dy[c] * w[c] - xt[c] * k;
        pw[c] += dy[c] * xt[c] * r;
      }
    }
  }
  for (int i = 0; i < n_thr; i++)
    for (int c = 0; c < C; c++) dw[c] += part[(size_t)i * C + c];
}

template <typename F>
void linear_forward(F* out, const F* x, const F* W, const F* b, int T, int IC, int OC) {
  if (T == 0) return;
  if (b) {
    for (int t = 0; t < T; t++) std::memcpy(out + (int64_t)t * OC, b, sizeof(F) * OC);
  }
  gemm(false, true, T, OC, IC, F(1), x, IC, W, IC, b ? F(1) : F(0), out, OC);
}

template <typename F>
void linear_backward(F* dx, F* dW, F* db, const F* dout, const F* x, const F* W, int T, int IC,
                     int OC, bool accumulate_dx) {
  if (T == 0) return;
  if (dx) gemm(false, false, T, IC, OC, F(1), dout, OC, W, IC, accumulate_dx ? F(1) : F(0), dx, IC);
  gemm(true, false, OC, IC, T, F(1), dout, OC, x, IC, F(1), dW, IC);
  if (db) {
    for (int t = 0; t < T; t++) {
      const F* d = dout + (int64_t)t * OC;
      for (int o = 0; o < OC; o++) db[o] += d[o];
    }
  }
}

template <typename F>
void linear_forward_ref(F* out, const F* x, const F* W, const F* b, int T, int IC, int OC) {
  for (int t = 0; t < T; t++)
    for (int o = 0; o < OC; o++) {
      double acc = b ? b[o] : 0.0;
      for (int i = 0; i < IC; i++) acc += (double)x[(int64_t)t * IC + i] * W[(int64_t)o * IC + i];
      out[(int64_t)t * OC + o] = (F)acc;
    }
}

template <typename F>
RopeTable<F> make_rope_table(const std::vector<float>& inv_freq, int rot_dim, bool interleaved,
                             int max_pos) {
  LW_CHECK(rot_dim % 2 == 0 && (int)inv_freq.size() == rot_dim / 2, "rope: rot_dim {} with {} freqs",
           rot_dim, inv_freq.size());
  RopeTable<F> rt;
  rt.rot_dim = rot_dim;
  rt.interleaved = interleaved;
  rt.max_pos = max_pos;
  int half = rot_dim / 2;
  rt.cos.resize((size_t)max_pos * half);
  rt.sin.resize((size_t)max_pos * half);
  for (int p = 0; p < max_pos; p++)
    for (int i = 0; i < half; i++) {
      // Angle in f32 as HF computes it (position * inv_freq in float), then cos/sin in double.
      double ang = (double)((float)p * inv_freq[i]);
      rt.cos[(size_t)p * half + i] = (F)std::cos(ang);
      rt.sin[(size_t)p * half + i] = (F)std::sin(ang);
    }
  return rt;
}

namespace {
// sign = +1 forward rotation, -1 inverse (backward).
template <typename F>
void rope_apply(F* x, const int32_t* pos, const RopeTable<F>& rt, int T, int n_head, int hd,
                F sign) {
  int half = rt.rot_dim / 2;
  LW_CHECK(rt.rot_dim <= hd, "rope: rot_dim {} > head dim {}", rt.rot_dim, hd);
#pragma omp parallel for if (T > 64)
  for (int t = 0; t < T; t++) {
    LW_CHECK(pos[t] >= 0 && pos[t] < rt.max_pos, "rope: position {} outside table", pos[t]);
    const F* cs = rt.cos.data() + (size_t)pos[t] * half;
    const F* sn = rt.sin.data() + (size_t)pos[t] * half;
    for (int h = 0; h < n_head; h++) {
      F* v = x + ((int64_t)t * n_head + h) * hd;
      for (int i = 0; i < half; i++) {
        int i0 = rt.interleaved ? 2 * i : i;
        int i1 = rt.interleaved ? 2 * i + 1 : i + half;
        F a = v[i0], b = v[i1], c = cs[i], s = sign * sn[i];
        v[i0] = a * c - b * s;
        v[i1] = a * s + b * c;
      }
    }
  }
}
}  // namespace

template <typename F>
void rope_forward(F* x, const int32_t* pos, const RopeTable<F>& rt, int T, int n_head, int hd) {
  rope_apply(x, pos, rt, T, n_head, hd, F(1));
}
template <typename F>
void rope_backward(F* dx, const int32_t* pos, const RopeTable<F>& rt, int T, int n_head, int hd) {
  // The Jacobian of a rotation is the rotation; its transpose is the inverse rotation.
  rope_apply(dx, pos, rt, T, n_head, hd, F(-1));
}

namespace {
// Splits n elements into chunks of kChunk for the threads (f32 vectorised kernels).
constexpr int64_t kEltChunk = 16384;
}  // namespace

template <typename F>
void swiglu_forward(F* out, const F* gate, const F* up, int64_t n) {
  if constexpr (std::is_same_v<F, float>) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i0 = 0; i0 < n; i0 += kEltChunk)
      swiglu_forward_rows(out + i0, gate + i0, up + i0, std::min(kEltChunk, n - i0));
    return;
  }
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) {
    F g = gate[i];
    F sig = F(1) / (F(1) + std::exp(-g));
    out[i] = g * sig * up[i];
  }
}

template <typename F>
void swiglu_backward(F* dgate, F* dup, const F* dout, const F* gate, const F* up, int64_t n) {
  if constexpr (std::is_same_v<F, float>) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i0 = 0; i0 < n; i0 += kEltChunk)
      swiglu_backward_rows(dgate + i0, dup + i0, dout + i0, gate + i0, up + i0, std::min(kEltChunk, n - i0));
    return;
  }
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) {
    F g = gate[i];
    F sig = F(1) / (F(1) + std::exp(-g));
    F silu = g * sig;
    dup[i] = dout[i] * silu;
    dgate[i] = dout[i] * up[i] * sig * (F(1) + g * (F(1) - sig));
  }
}

std::vector<int32_t> positions_from_cu(const std::vector<int32_t>& cu) {
  std::vector<int32_t> pos(cu.empty() ? 0 : cu.back());
  for (size_t s = 0; s + 1 < cu.size(); s++)
    for (int32_t t = cu[s]; t < cu[s + 1]; t++) pos[t] = t - cu[s];
  return pos;
}

#define LW_INSTANTIATE(F)                                                                        \
  template void embedding_forward<F>(F*, const int32_t*, const F*, int, int);                    \
  template void embedding_backward<F>(F*, const F*, const int32_t*, int, int);                   \
  template void rmsnorm_forward<F>(F*, F*, const F*, const F*, int, int, float);                 \
  template void rmsnorm_backward<F>(F*, F*, const F*, const F*, const F*, const F*, int, int);   \
  template void linear_forward<F>(F*, const F*, const F*, const F*, int, int, int);              \
  template void linear_backward<F>(F*, F*, F*, const F*, const F*, const F*, int, int, int, bool); \
  template void linear_forward_ref<F>(F*, const F*, const F*, const F*, int, int, int);          \
  template RopeTable<F> make_rope_table<F>(const std::vector<float>&, int, bool, int);           \
  template void rope_forward<F>(F*, const int32_t*, const RopeTable<F>&, int, int, int);         \
  template void rope_backward<F>(F*, const int32_t*, const RopeTable<F>&, int, int, int);        \
  template void swiglu_forward<F>(F*, const F*, const F*, int64_t);                              \
  template void swiglu_backward<F>(F*, F*, const F*, const F*, const F*, int64_t);
LW_INSTANTIATE(float)
LW_INSTANTIATE(double)
#undef LW_INSTANTIATE

}  // namespace lw::train
