#pragma once
// Naive reference kernels: the oracles of the fast kernels in ops.hpp and of the trainer's attention
// (same signatures, plain loops, double accumulation, full T x T score matrix for attention). Tests
// only. Templates are instantiated for float and double.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "engine/ops.hpp"

namespace lw::engine::ref {

template <typename F>
void rmsnorm_forward(F* out, std::type_identity_t<F>* rstd, const F* x, const F* w, int T, int C, float eps);
void matmul_forward(float* out, const float* x, const Tensor& w, const float* bias, int T);
// w (OC, IC) in memory.
template <typename F>
void matmul_forward(F* out, const F* x, const F* w, const std::type_identity_t<F>* bias, int T, int IC,
                    int OC);
// Angles from the positions and frequencies directly (no tables).
template <typename F>
void rope_forward(F* x, const int32_t* pos, int T, int n_head, int hd, int rot_dim, bool interleaved,
                  const std::vector<float>& inv_freq);
template <typename F>
void swiglu_forward(F* out, const F* gate, const F* up, int T, int ffn);
void softmax_forward(float* out, const float* x, int rows, int cols);
// out (T, n_head, hd); lse (T, n_head) when non-null.
template <typename F>
void attention_forward(F* out, const F* q, const F* k, const F* v, const int32_t* cu_seqlens, int n_seq,
                       const AttnDims& d, F* lse = nullptr);

}  // namespace lw::engine::ref
