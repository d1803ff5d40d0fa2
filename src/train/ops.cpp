// The backward of each layer kernel (see ops.hpp).
#include "train/ops.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "engine/blas.hpp"
#include "kernels/vec.hpp"

namespace lw::train {

using engine::gemm;

template <typename F>
void embedding_backward(F* dwte, const F* dout, const int32_t* tokens, int T, int C) {
  // Serial over tokens (repeated tokens write the same row).
  for (int t = 0; t < T; t++) {
    F* row = dwte + (int64_t)tokens[t] * C;  // (C)
    const F* d = dout + (int64_t)t * C;      // (C)
    for (int c = 0; c < C; c++) row[c] += d[c];
  }
}

template <typename F>
void rmsnorm_backward(F* dx, F* dw, const F* dout, const F* x, const F* w, const F* rstd, int T, int C) {
  // dx: y = x*r*w, r = (mean(x^2)+eps)^-1/2; dx = r*g - x*r^3*(sum g*x)/C with g = dout*w.
  // dw[c] = sum_t dout*x*r: each thread sums its (static) block of rows into its own (C) partial
  // in the same pass; the partials are added in thread order, so results are reproducible.
  const int n_thr = T > 64 ? omp_get_max_threads() : 1;
  std::vector<F> part((size_t)n_thr * C, F(0));  // (n_thr, C)
#pragma omp parallel num_threads(n_thr) if (n_thr > 1)
  {
    F* pw = part.data() + (size_t)omp_get_thread_num() * C;  // (C)
#pragma omp for schedule(static)
    for (int t = 0; t < T; t++) {
      const F* xt = x + (int64_t)t * C;     // (C)
      const F* dy = dout + (int64_t)t * C;  // (C)
      const F r = rstd[t];
      double dot = 0;
      for (int c = 0; c < C; c++) dot += (double)dy[c] * w[c] * xt[c];
      const F k = (F)(dot / C) * r * r * r;
      F* d = dx + (int64_t)t * C;  // (C)
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
void linear_backward(F* dx, F* dW, F* db, const F* dout, const F* x, const F* W, int T, int IC, int OC,
                     bool accumulate_dx) {
  if (T == 0) return;
  if (dx) gemm(false, false, T, IC, OC, F(1), dout, OC, W, IC, accumulate_dx ? F(1) : F(0), dx, IC);
  gemm(true, false, OC, IC, T, F(1), dout, OC, x, IC, F(1), dW, IC);
  if (db) {
    for (int t = 0; t < T; t++) {
      const F* d = dout + (int64_t)t * OC;  // (OC)
      for (int o = 0; o < OC; o++) db[o] += d[o];
    }
  }
}

template <typename F>
void swiglu_backward(F* dgate, F* dup, const F* dout, const F* gate, const F* up, int64_t n) {
  using kernels::kEltChunk;
  if constexpr (std::is_same_v<F, float>) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i0 = 0; i0 < n; i0 += kEltChunk)
      kernels::swiglu_backward_rows(dgate + i0, dup + i0, dout + i0, gate + i0, up + i0,
                                    std::min(kEltChunk, n - i0));
  } else {
#pragma omp parallel for if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
      F g = gate[i];
      F sig = F(1) / (F(1) + std::exp(-g));
      F silu = g * sig;
      dup[i] = dout[i] * silu;
      dgate[i] = dout[i] * up[i] * sig * (F(1) + g * (F(1) - sig));
    }
  }
}

std::vector<int32_t> positions_from_cu(const std::vector<int32_t>& cu) {
  std::vector<int32_t> pos(cu.empty() ? 0 : cu.back());
  for (size_t s = 0; s + 1 < cu.size(); s++)
    for (int32_t t = cu[s]; t < cu[s + 1]; t++) pos[t] = t - cu[s];
  return pos;
}

#define LW_INSTANTIATE(F)                                                                          \
  template void embedding_backward<F>(F*, const F*, const int32_t*, int, int);                     \
  template void rmsnorm_backward<F>(F*, F*, const F*, const F*, const F*, const F*, int, int);     \
  template void linear_backward<F>(F*, F*, F*, const F*, const F*, const F*, int, int, int, bool); \
  template void swiglu_backward<F>(F*, F*, const F*, const F*, const F*, int64_t);
LW_INSTANTIATE(float)
LW_INSTANTIATE(double)
#undef LW_INSTANTIATE

}  // namespace lw::train
