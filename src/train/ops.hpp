#pragma once
// Training ops: each an explicit *_forward / *_backward pair of free functions over plain arrays
// (llm.c style). Templated on the float type: f32 for training, f64 for the finite-difference
// gradient checks. Backward functions ACCUMULATE (+=) into parameter gradients and, unless stated
// otherwise, OVERWRITE input gradients.
//
// Dimension names: T tokens of a (packed) micro-batch, C hidden size, V vocabulary, F ffn size,
// n_head / n_kv_head heads, hd head dim.
#include <cstdint>
#include <vector>

namespace lw::train {

// ---- embedding ----------------------------------------------------------------------------------
// out (T, C) = wte[tokens[t]]; wte (V, C).
template <typename F>
void embedding_forward(F* out, const int32_t* tokens, const F* wte, int T, int C);
// dwte (V, C) += scatter of dout (T, C).
template <typename F>
void embedding_backward(F* dwte, const F* dout, const int32_t* tokens, int T, int C);

// ---- RMSNorm ------------------------------------------------------------------------------------
// out (T, C) = x * rstd * w, rstd (T) = 1 / sqrt(mean(x^2) + eps) (saved for backward).
template <typename F>
void rmsnorm_forward(F* out, F* rstd, const F* x, const F* w, int T, int C, float eps);
// dx (T, C) += ...; dw (C) += ... (dx ACCUMULATES: it is the residual stream gradient).
template <typename F>
void rmsnorm_backward(F* dx, F* dw, const F* dout, const F* x, const F* w, const F* rstd, int T,
                      int C);

// ---- linear (BLAS) ------------------------------------------------------------------------------
// out (T, OC) = x (T, IC) @ W^T + b; W (OC, IC); b (OC) or null.
template <typename F>
void linear_forward(F* out, const F* x, const F* W, const F* b, int T, int IC, int OC);
// dx (T, IC) = dout @ W when accumulate_dx is false, += when true; dW (OC, IC) += dout^T @ x;
// db (OC) += column sums of dout (when db is not null). dx may be null (not needed).
template <typename F>
void linear_backward(F* dx, F* dW, F* db, const F* dout, const F* x, const F* W, int T, int IC,
                     int OC, bool accumulate_dx);
// Naive triple-loop reference of linear_forward (the oracle for the BLAS path).
template <typename F>
void linear_forward_ref(F* out, const F* x, const F* W, const F* b, int T, int IC, int OC);

// ---- RoPE ---------------------------------------------------------------------------------------
// Rotation tables for positions 0..max_pos-1: cos/sin (max_pos, rot_dim/2) from inv_freq
// (rot_dim/2 values, e.g. engine::rope_inv_freq with llama3 scaling already applied).
template <typename F>
struct RopeTable {
  int rot_dim = 0;      // rotated dims per head (even, <= hd; GLM-4: hd/2)
  bool interleaved = false;  // false: pairs (i, i + rot/2) (Llama); true: (2i, 2i+1) (GLM)
  int max_pos = 0;
  std::vector<F> cos, sin;  // (max_pos, rot_dim/2)
};
template <typename F>
RopeTable<F> make_rope_table(const std::vector<float>& inv_freq, int rot_dim, bool interleaved,
                             int max_pos);
// In place on x (T, n_head, hd) with per-token positions pos (T) (positions restart at 0 at every
// cu_seqlens boundary). Dims >= rot_dim pass through.
template <typename F>
void rope_forward(F* x, const int32_t* pos, const RopeTable<F>& rt, int T, int n_head, int hd);
// In place on dx (T, n_head, hd): the inverse rotation.
template <typename F>
void rope_backward(F* dx, const int32_t* pos, const RopeTable<F>& rt, int T, int n_head, int hd);

// ---- SwiGLU -------------------------------------------------------------------------------------
// out (T, F) = silu(gate) * up.
template <typename F>
void swiglu_forward(F* out, const F* gate, const F* up, int64_t n);
// dgate, dup (T, F) from dout.
template <typename F>
void swiglu_backward(F* dgate, F* dup, const F* dout, const F* gate, const F* up, int64_t n);

// Positions within each sequence: pos[t] = t - cu_seqlens[s] for t in sequence s.
std::vector<int32_t> positions_from_cu(const std::vector<int32_t>& cu_seqlens);

}  // namespace lw::train
