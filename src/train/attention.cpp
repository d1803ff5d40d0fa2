// Variable-length causal attention, forward and flash-style backward (see attention.hpp).
#include "train/attention.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/blas.hpp"
#include "io/cu_seqlens.hpp"
#include "kernels/vec.hpp"
#include "util/error.hpp"

namespace lw::train {

using kernels::exp_sub_sum;
using engine::gemm;
using kernels::row_max;

void check_cu_seqlens(const std::vector<int32_t>& cu, int T, const char* where) {
  if (const std::string e = io::cu_seqlens_error(std::span(cu), T); !e.empty()) fail_input("{}: {}", where, e);
}

namespace {

// One unit of parallel work: a sequence and a KV head (its query heads write disjoint dq, and
// dk/dv of that head and sequence belong to it alone).
struct Task {
  int s0, s1, g;
};

std::vector<Task> make_tasks(const std::vector<int32_t>& cu, int n_kv_head) {
  std::vector<Task> tasks;
  for (size_t s = 0; s + 1 < cu.size(); s++)
    for (int g = 0; g < n_kv_head; g++) tasks.push_back({cu[s], cu[s + 1], g});
  // Longest first: better balance under dynamic scheduling.
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const Task& a, const Task& b) { return a.s1 - a.s0 > b.s1 - b.s0; });
  return tasks;
}

// Parallelise over tasks when there are enough of them; otherwise run tasks serially and let
// BLAS use the threads inside each GEMM.
// Tiny problems (tests, short rows) stay serial: a parallel region costs more than the work.
bool parallel_tasks(const std::vector<Task>& tasks, const AttnDims& d) {
  double work = 0;
  for (const Task& t : tasks) work += (double)(t.s1 - t.s0) * (t.s1 - t.s0);
  work *= (double)d.hd * d.n_head / d.n_kv_head;
  return (int)tasks.size() >= 2 * omp_get_max_threads() && work > 2e6;
}

// The query heads of one KV head (its GQA group) are stacked into one (group * bq, hd) block, so
// every product against that head's K or V is one GEMM with M = group * bq (K/V packed once, dK/dV
// accumulated once per block instead of once per query head). Stacked row R is query head
// g * group + R / bq at position i0 + R % bq.
template <typename F>
void gather_heads(F* dst, const F* src, int i0, int bq, int h0, int group, int stride, int hd) {
  for (int hh = 0; hh < group; hh++)
    for (int r = 0; r < bq; r++)
      std::memcpy(dst + ((size_t)hh * bq + r) * hd, src + (int64_t)(i0 + r) * stride + (h0 + hh) * hd,
                  sizeof(F) * hd);
}

template <typename F>
void scatter_heads(F* dst, const F* src, int i0, int bq, int h0, int group, int stride, int hd) {
  for (int hh = 0; hh < group; hh++)
    for (int r = 0; r < bq; r++)
      std::memcpy(dst + (int64_t)(i0 + r) * stride + (h0 + hh) * hd, src + ((size_t)hh * bq + r) * hd,
                  sizeof(F) * hd);
}

}  // namespace

template <typename F>
void attention_forward(F* out, F* lse, const F* q, const F* k, const F* v, const std::vector<int32_t>& cu,
                       const AttnDims& d) {
  check_cu_seqlens(cu, cu.empty() ? 0 : cu.back(), "attention");
  const int qd = d.q_dim(), kvd = d.kv_dim(), hd = d.hd, group = d.n_head / d.n_kv_head;
  const F scale = static_cast<F>(d.scale);
  auto tasks = make_tasks(cu, d.n_kv_head);
  int max_len = 0;
  for (size_t s = 0; s + 1 < cu.size(); s++) max_len = std::max(max_len, cu[s + 1] - cu[s]);
  const bool par = parallel_tasks(tasks, d);
  const size_t rows = (size_t)group * kBlockQ;
#pragma omp parallel if (par)
  {
    std::vector<F> S(rows * max_len);  // (group * bq, L) scores -> probabilities
    std::vector<F> Qs(rows * hd);      // (group * bq, hd) stacked queries
    std::vector<F> Os(rows * hd);      // (group * bq, hd) stacked outputs
#pragma omp for schedule(dynamic, 1)
    for (size_t ti = 0; ti < tasks.size(); ti++) {
      const Task tk = tasks[ti];
      const F* kg = k + (int64_t)tk.s0 * kvd + tk.g * hd;  // (L, hd) rows with stride kvd
      const F* vg = v + (int64_t)tk.s0 * kvd + tk.g * hd;
      const int h0 = tk.g * group;
      for (int i0 = tk.s0; i0 < tk.s1; i0 += kBlockQ) {
        const int bq = std::min(kBlockQ, tk.s1 - i0);
        const int M = group * bq;
        const int nk = i0 + bq - tk.s0;  // keys of the causal prefix of this block
        gather_heads(Qs.data(), q, i0, bq, h0, group, qd, hd);
        gemm(false, true, M, nk, hd, scale, Qs.data(), hd, kg, kvd, F(0), S.data(), nk);
        for (int R = 0; R < M; R++) {
          const int hh = R / bq, r = R % bq;
          F* row = S.data() + (size_t)R * nk;
          const int valid = i0 - tk.s0 + r + 1;  // keys 0..valid-1 visible
          const F mx = row_max(row, valid);
          const F sum = exp_sub_sum(row, valid, mx);
          const F inv = F(1) / sum;
          for (int j = 0; j < valid; j++) row[j] *= inv;
          for (int j = valid; j < nk; j++) row[j] = 0;
          lse[(int64_t)(i0 + r) * d.n_head + h0 + hh] = mx + std::log(sum);
        }
        gemm(false, false, M, hd, nk, F(1), S.data(), nk, vg, kvd, F(0), Os.data(), hd);
        scatter_heads(out, Os.data(), i0, bq, h0, group, qd, hd);
      }
    }
  }
}

template <typename F>
void attention_backward(F* dq, F* dk, F* dv, const F* dout, const F* q, const F* k, const F* v, const F* out,
                        const F* lse, const std::vector<int32_t>& cu, const AttnDims& d) {
  check_cu_seqlens(cu, cu.empty() ? 0 : cu.back(), "attention");
  const int qd = d.q_dim(), kvd = d.kv_dim(), hd = d.hd, group = d.n_head / d.n_kv_head;
  const F scale = static_cast<F>(d.scale);
  auto tasks = make_tasks(cu, d.n_kv_head);
  int max_len = 0;
  for (size_t s = 0; s + 1 < cu.size(); s++) max_len = std::max(max_len, cu[s + 1] - cu[s]);
  const bool par = parallel_tasks(tasks, d);
  const size_t rows = (size_t)group * kBlockQ;
#pragma omp parallel if (par)
  {
    std::vector<F> P(rows * max_len);   // (group * bq, L) probabilities
    std::vector<F> dP(rows * max_len);  // (group * bq, L) dP, then dS
    std::vector<F> Qs(rows * hd);       // (group * bq, hd) stacked queries
    std::vector<F> dOs(rows * hd);      // (group * bq, hd) stacked output gradients
    std::vector<F> dQs(rows * hd);      // (group * bq, hd) stacked query gradients
    std::vector<F> D(rows);             // rowsum(dout * out)
#pragma omp for schedule(dynamic, 1)
    for (size_t ti = 0; ti < tasks.size(); ti++) {
      const Task tk = tasks[ti];
      const int L = tk.s1 - tk.s0;
      const F* kg = k + (int64_t)tk.s0 * kvd + tk.g * hd;
      const F* vg = v + (int64_t)tk.s0 * kvd + tk.g * hd;
      F* dkg = dk + (int64_t)tk.s0 * kvd + tk.g * hd;
      F* dvg = dv + (int64_t)tk.s0 * kvd + tk.g * hd;
      const int h0 = tk.g * group;
      for (int t = 0; t < L; t++) {
        std::memset(dkg + (int64_t)t * kvd, 0, sizeof(F) * hd);
        std::memset(dvg + (int64_t)t * kvd, 0, sizeof(F) * hd);
      }
      for (int i0 = tk.s0; i0 < tk.s1; i0 += kBlockQ) {
        const int bq = std::min(kBlockQ, tk.s1 - i0);
        const int M = group * bq;
        const int nk = i0 + bq - tk.s0;
        gather_heads(Qs.data(), q, i0, bq, h0, group, qd, hd);
        gather_heads(dOs.data(), dout, i0, bq, h0, group, qd, hd);
        // Recompute P = exp(scale * q k^T - lse) on the causal prefix.
        gemm(false, true, M, nk, hd, scale, Qs.data(), hd, kg, kvd, F(0), P.data(), nk);
        for (int R = 0; R < M; R++) {
          const int hh = R / bq, r = R % bq;
          F* row = P.data() + (size_t)R * nk;
          const int valid = i0 - tk.s0 + r + 1;
          exp_sub_sum(row, valid, lse[(int64_t)(i0 + r) * d.n_head + h0 + hh]);  // lse >= every score
          for (int j = valid; j < nk; j++) row[j] = 0;
          const F* dor = dOs.data() + (size_t)R * hd;
          const F* orow = out + (int64_t)(i0 + r) * qd + (h0 + hh) * hd;
          F acc = 0;
          for (int c = 0; c < hd; c++) acc += dor[c] * orow[c];
          D[R] = acc;
        }
        // dV (nk, hd) += P^T dO
        gemm(true, false, nk, hd, M, F(1), P.data(), nk, dOs.data(), hd, F(1), dvg, kvd);
        // dP = dO V^T; dS = P * (dP - D)
        gemm(false, true, M, nk, hd, F(1), dOs.data(), hd, vg, kvd, F(0), dP.data(), nk);
        for (int R = 0; R < M; R++) {
          F* ds = dP.data() + (size_t)R * nk;
          const F* p = P.data() + (size_t)R * nk;
          const F dr = D[R];
          for (int j = 0; j < nk; j++) ds[j] = p[j] * (ds[j] - dr);
        }
        // dQ = scale * dS K ; dK += scale * dS^T Q
        gemm(false, false, M, hd, nk, scale, dP.data(), nk, kg, kvd, F(0), dQs.data(), hd);
        scatter_heads(dq, dQs.data(), i0, bq, h0, group, qd, hd);
        gemm(true, false, nk, hd, M, scale, dP.data(), nk, Qs.data(), hd, F(1), dkg, kvd);
      }
    }
  }
}

#define LW_INSTANTIATE(F)                                                                               \
  template void attention_forward<F>(F*, F*, const F*, const F*, const F*, const std::vector<int32_t>&, \
                                     const AttnDims&);                                                  \
  template void attention_backward<F>(F*, F*, F*, const F*, const F*, const F*, const F*, const F*,     \
                                      const F*, const std::vector<int32_t>&, const AttnDims&);
LW_INSTANTIATE(float)
LW_INSTANTIATE(double)
#undef LW_INSTANTIATE

}  // namespace lw::train
