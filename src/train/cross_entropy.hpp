#pragma once
// Fused lm_head + weighted cross-entropy: loss = sum_t w[t] * (logsumexp(logits_t) - logits_t[y_t])
// with logits_t = h_t @ W^T. Only positions with a target (y >= 0) and a non-zero weight are
// computed, gathered into chunks of `kCeChunk` rows, so at most (kCeChunk, V) probabilities exist
// at any time — never the (T, V) matrix. The gradient is formed in the same pass.
#include <cstdint>
#include <vector>

namespace lw::train {

constexpr int kCeChunk = 256;

template <typename F>
struct CrossEntropyArgs {
  const F* h = nullptr;        // (T, C) final hidden states
  const F* W = nullptr;        // (V, C) lm_head
  const int32_t* targets = nullptr;  // (T) next-token targets, -1 = none
  const F* weights = nullptr;  // (T) loss weight per position (0 = skip)
  int T = 0, C = 0, V = 0;
  // Outputs; any may be null. dh (T, C) is OVERWRITTEN on every row (zero where skipped);
  // dW (V, C) ACCUMULATES. token_nll (T) receives -log p(target) (0 where skipped).
  F* dh = nullptr;
  F* dW = nullptr;
  F* token_nll = nullptr;
  // When true, rows with weight 0 but a valid target still get token_nll (for evaluation).
  bool nll_for_all_targets = false;
};

// Returns sum_t w[t] * nll_t (accumulated in double).
template <typename F>
double cross_entropy_fused(const CrossEntropyArgs<F>& a);

// Naive reference: full (T, V) logits, same outputs.
template <typename F>
double cross_entropy_ref(const CrossEntropyArgs<F>& a);

}  // namespace lw::train
