#pragma once
// Vectorised kernels of the non-GEMM hot spots: the softmax rows of the trainer's attention and
// cross-entropy (max, exp(x - m) with its sum) and SwiGLU (engine::swiglu_forward, the trainer's
// backward). The f32 versions run the vector ops of the level's kernel table (kernels/table.hpp:
// AVX-512 or AVX2, a polynomial exp with relative error ~2e-7; the plain loops below at the scalar
// level); the f64 versions (gradient checks) are plain loops.
// exp_sub_sum requires x - sub <= 0 for every element (a row max or a log-sum-exp).
#include <cstdint>

namespace lw::kernels {

// Elements per chunk when a caller splits element-wise work over its threads.
constexpr int64_t kEltChunk = 16384;

// max of x[0..n), n >= 1.
float row_max(const float* x, int n);
double row_max(const double* x, int n);

// x[j] = exp(x[j] - sub) for j < n; returns sum_j x[j] (accumulated in f32 lanes for float).
float exp_sub_sum(float* x, int n, float sub);
double exp_sub_sum(double* x, int n, double sub);

// SwiGLU on n elements: out = silu(gate) * up, silu(g) = g * sigmoid(g); backward
// dgate = dout * up * sig * (1 + g * (1 - sig)), dup = dout * silu(g). Serial (callers split work).
void swiglu_forward_rows(float* out, const float* gate, const float* up, int64_t n);
void swiglu_backward_rows(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                          int64_t n);

// The plain (scalar std::exp) kernels, the reference the vectorised ones are tested against.
float exp_sub_sum_ref(float* x, int n, float sub);
void swiglu_forward_rows_ref(float* out, const float* gate, const float* up, int64_t n);
void swiglu_backward_rows_ref(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                              int64_t n);

}  // namespace lw::kernels
