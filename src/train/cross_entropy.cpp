// Fused chunked lm_head + weighted cross-entropy (see cross_entropy.hpp).
#include "train/cross_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/blas.hpp"
#include "kernels/vec.hpp"
#include "util/error.hpp"

namespace lw::train {

using kernels::exp_sub_sum;
using engine::gemm;
using kernels::row_max;

template <typename F>
double cross_entropy_fused(const CrossEntropyArgs<F>& a) {
  const int C = a.C, V = a.V;
  if (a.dh) std::memset(a.dh, 0, sizeof(F) * (size_t)a.T * C);
  if (a.token_nll) std::memset(a.token_nll, 0, sizeof(F) * (size_t)a.T);
  std::vector<int32_t> rows;  // positions to compute
  for (int t = 0; t < a.T; t++) {
    if (a.targets[t] < 0) continue;
    LW_CHECK(a.targets[t] < V, "target {} >= vocabulary {}", a.targets[t], V);
    if (a.weights[t] != F(0) || (a.token_nll && a.nll_for_all_targets)) rows.push_back(t);
  }
  const bool grad = a.dh || a.dW;
  std::vector<F> hc((size_t)kCeChunk * C);      // (chunk, C) gathered hidden states
  std::vector<F> logits((size_t)kCeChunk * V);  // (chunk, V) logits -> dlogits
  std::vector<F> dhc(grad ? (size_t)kCeChunk * C : 0);
  double total = 0;
  for (size_t r0 = 0; r0 < rows.size(); r0 += kCeChunk) {
    int n = (int)std::min<size_t>(kCeChunk, rows.size() - r0);
    for (int i = 0; i < n; i++)
      std::memcpy(hc.data() + (size_t)i * C, a.h + (int64_t)rows[r0 + i] * C, sizeof(F) * C);
    gemm(false, true, n, V, C, F(1), hc.data(), C, a.W, C, F(0), logits.data(), V);
    double chunk_loss = 0;
#pragma omp parallel for reduction(+ : chunk_loss) if (n > 8)
    for (int i = 0; i < n; i++) {
      int t = rows[r0 + i];
      F* lg = logits.data() + (size_t)i * V;
      const F mx = row_max(lg, V);
      const F target_logit = lg[a.targets[t]];
      const double sum = exp_sub_sum(lg, V, mx);  // one exp per logit, reused by the gradient
      double lse = mx + std::log(sum);
      double nll = lse - target_logit;
      if (a.token_nll) a.token_nll[t] = (F)nll;
      F w = a.weights[t];
      chunk_loss += (double)w * nll;
      if (grad) {
        // dlogits = w * (softmax - onehot)
        F k = (F)(w / sum);
        for (int j = 0; j < V; j++) lg[j] *= k;
        lg[a.targets[t]] -= w;
      }
    }
    total += chunk_loss;
    if (!grad) continue;
    if (a.dh) {
      gemm(false, false, n, C, V, F(1), logits.data(), V, a.W, C, F(0), dhc.data(), C);
      for (int i = 0; i < n; i++)
        std::memcpy(a.dh + (int64_t)rows[r0 + i] * C, dhc.data() + (size_t)i * C, sizeof(F) * C);
    }
    if (a.dW) gemm(true, false, V, C, n, F(1), logits.data(), V, hc.data(), C, F(1), a.dW, C);
  }
  return total;
}

template <typename F>
double cross_entropy_ref(const CrossEntropyArgs<F>& a) {
  const int C = a.C, V = a.V;
  std::vector<double> logits((size_t)a.T * V);
  for (int t = 0; t < a.T; t++)
    for (int j = 0; j < V; j++) {
      double acc = 0;
      for (int c = 0; c < C; c++) acc += (double)a.h[(int64_t)t * C + c] * a.W[(int64_t)j * C + c];
      logits[(size_t)t * V + j] = acc;
    }
  if (a.dh) std::memset(a.dh, 0, sizeof(F) * (size_t)a.T * C);
  double total = 0;
  for (int t = 0; t < a.T; t++) {
    if (a.token_nll) a.token_nll[t] = 0;
    if (a.targets[t] < 0) continue;
    const double* lg = &logits[(size_t)t * V];
    double mx = *std::max_element(lg, lg + V), sum = 0;
    for (int j = 0; j < V; j++) sum += std::exp(lg[j] - mx);
    double lse = mx + std::log(sum);
    double nll = lse - lg[a.targets[t]];
    if (a.token_nll && (a.weights[t] != 0 || a.nll_for_all_targets)) a.token_nll[t] = (F)nll;
    total += a.weights[t] * nll;
    for (int j = 0; j < V; j++) {
      double g = a.weights[t] * (std::exp(lg[j] - lse) - (j == a.targets[t] ? 1.0 : 0.0));
      for (int c = 0; c < C; c++) {
        if (a.dh) a.dh[(int64_t)t * C + c] += (F)(g * a.W[(int64_t)j * C + c]);
        if (a.dW) a.dW[(int64_t)j * C + c] += (F)(g * a.h[(int64_t)t * C + c]);
      }
    }
  }
  return total;
}

template double cross_entropy_fused<float>(const CrossEntropyArgs<float>&);
template double cross_entropy_fused<double>(const CrossEntropyArgs<double>&);
template double cross_entropy_ref<float>(const CrossEntropyArgs<float>&);
template double cross_entropy_ref<double>(const CrossEntropyArgs<double>&);

}  // namespace lw::train
