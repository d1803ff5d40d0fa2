#pragma once
// The backward of each layer kernel (llm.c style: explicit free functions over plain arrays). The
// forwards are the engine's (engine/ops.hpp: embedding, RMSNorm, matmul, RoPE, SwiGLU), which the
// trainer calls directly. Templated on the float type: f32 for training, f64 for the
// finite-difference gradient checks and the float64 golden tests. Backward functions ACCUMULATE
// (+=) into parameter gradients and, unless stated otherwise, OVERWRITE input gradients.
//
// Dimension names: T tokens of a (packed) micro-batch, C hidden size, V vocabulary, F ffn size,
// n_head / n_kv_head heads, hd head dim.
#include <cstdint>
#include <vector>

namespace lw::train {

// Embedding: dwte (V, C) += scatter of dout (T, C) by tokens (T).
template <typename F>
void embedding_backward(F* dwte, const F* dout, const int32_t* tokens, int T, int C);

// RMSNorm (forward out = x * rstd * w): dx (T, C) += ...; dw (C) += ... (dx ACCUMULATES: it is the
// residual stream gradient). rstd (T) as saved by engine::rmsnorm_forward.
template <typename F>
void rmsnorm_backward(F* dx, F* dw, const F* dout, const F* x, const F* w, const F* rstd, int T, int C);

// Linear (forward out (T, OC) = x (T, IC) @ W^T + b, W (OC, IC)): dx (T, IC) = dout @ W when
// accumulate_dx is false, += when true; dW (OC, IC) += dout^T @ x; db (OC) += column sums of dout
// (when db is not null). dx may be null (not needed).
template <typename F>
void linear_backward(F* dx, F* dW, F* db, const F* dout, const F* x, const F* W, int T, int IC, int OC,
                     bool accumulate_dx);

// RoPE's backward is engine::rope_forward(..., inverse = true) on the gradient: the Jacobian of a
// rotation is the rotation, and its transpose the inverse rotation.

// SwiGLU (forward out = silu(gate) * up): dgate, dup (n) from dout (n).
template <typename F>
void swiglu_backward(F* dgate, F* dup, const F* dout, const F* gate, const F* up, int64_t n);

// Positions within each sequence: pos[t] = t - cu_seqlens[s] for t in sequence s.
std::vector<int32_t> positions_from_cu(const std::vector<int32_t>& cu_seqlens);

}  // namespace lw::train
