// Vectorised kernels (see vec_kernels.hpp): dispatch on the CPU level, and the scalar references.
#include "engine/vec_kernels.hpp"

#include <algorithm>
#include <cmath>

#include "cpu/features.hpp"

namespace lw::engine {

namespace {
bool vec512() {
  return cpu::at_least(cpu::Level::avx512);
}
bool vec256() {
  return cpu::at_least(cpu::Level::avx2);
}
}  // namespace

void swiglu_forward_rows_ref(float* out, const float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    out[i] = g * sig * up[i];
  }
}

void swiglu_backward_rows_ref(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                              int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float g = gate[i];
    const float sig = 1.0f / (1.0f + std::exp(-g));
    dup[i] = dout[i] * g * sig;
    dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
  }
}

void swiglu_forward_rows(float* out, const float* gate, const float* up, int64_t n) {
  const int64_t i = vec512()   ? avx512::swiglu_forward(out, gate, up, n)
                    : vec256() ? avx2::swiglu_forward(out, gate, up, n)
                               : 0;
  swiglu_forward_rows_ref(out + i, gate + i, up + i, n - i);
}

void swiglu_backward_rows(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                          int64_t n) {
  const int64_t i = vec512()   ? avx512::swiglu_backward(dgate, dup, dout, gate, up, n)
                    : vec256() ? avx2::swiglu_backward(dgate, dup, dout, gate, up, n)
                               : 0;
  swiglu_backward_rows_ref(dgate + i, dup + i, dout + i, gate + i, up + i, n - i);
}

float row_max(const float* x, int n) {
  if (vec512()) return avx512::row_max(x, n);
  if (vec256()) return avx2::row_max(x, n);
  float m = x[0];
  for (int j = 1; j < n; j++) m = std::max(m, x[j]);
  return m;
}

double row_max(const double* x, int n) {
  double m = x[0];
  for (int j = 1; j < n; j++) m = std::max(m, x[j]);
  return m;
}

float exp_sub_sum_ref(float* x, int n, float sub) {
  double sum = 0;
  for (int j = 0; j < n; j++) {
    x[j] = std::exp(x[j] - sub);
    sum += x[j];
  }
  return (float)sum;
}

float exp_sub_sum(float* x, int n, float sub) {
  if (n <= 0) return 0.0f;
  if (vec512()) return avx512::exp_sub_sum(x, n, sub);
  if (vec256()) return avx2::exp_sub_sum(x, n, sub);
  return exp_sub_sum_ref(x, n, sub);
}

double exp_sub_sum(double* x, int n, double sub) {
  double sum = 0;
  for (int j = 0; j < n; j++) {
    x[j] = std::exp(x[j] - sub);
    sum += x[j];
  }
  return sum;
}

}  // namespace lw::engine
