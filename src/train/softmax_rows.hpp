#pragma once
// Row kernels of the softmaxes in attention and cross-entropy: max, exp(x - m) with its sum, scale.
// The f32 versions use AVX-512 (the engine's vectorised exp, relative error ~2e-7) when the CPU has
// it and plain loops otherwise; the f64 versions (gradient checks) are plain loops with std::exp.
// exp_sub_sum requires x - sub <= 0 for every element (a row max or a log-sum-exp).
namespace lw::train {

// max of x[0..n), n >= 1.
float row_max(const float* x, int n);
double row_max(const double* x, int n);

// x[j] = exp(x[j] - sub) for j < n; returns sum_j x[j] (accumulated in f32 lanes for float).
float exp_sub_sum(float* x, int n, float sub);
double exp_sub_sum(double* x, int n, double sub);

// The plain (scalar std::exp) kernels, the reference the vectorised ones are tested against.
float exp_sub_sum_ref(float* x, int n, float sub);

}  // namespace lw::train
