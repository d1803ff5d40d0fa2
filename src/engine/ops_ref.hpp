#pragma once
// Naive reference kernels: the oracles of the fast kernels in ops.hpp (same signatures, plain
// loops, double accumulation, full T x T score matrix for attention). Tests only.
#include <cstdint>

#include "engine/ops.hpp"

namespace lw::engine::ref {

void rmsnorm_forward(float* out, float* rstd, const float* x, const float* w, int T, int C,
                     float eps);
void matmul_forward(float* out, const float* x, const Tensor& w, const float* bias, int T);
void rope_forward(float* x, const int32_t* pos, int T, int n_head, int hd, int rot_dim,
                  bool interleaved, const std::vector<float>& inv_freq);
void swiglu_forward(float* out, const float* gate, const float* up, int T, int ffn);
void softmax_forward(float* out, const float* x, int rows, int cols);
void attention_forward(float* out, const float* q, const float* k, const float* v,
                       const int32_t* cu_seqlens, int n_seq, const AttnDims& d);

}  // namespace lw::engine::ref
