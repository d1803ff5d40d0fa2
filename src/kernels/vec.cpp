// The f32 vector ops through the level's kernel table, and the scalar kernels: the references the
// vectorised ones are tested against, and the scalar level's table entries.
#include "kernels/vec.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"

namespace lw::kernels {

namespace {
float row_max_ref(const float* x, int n) {
  float m = x[0];
  for (int j = 1; j < n; j++) m = std::max(m, x[j]);
  return m;
}
// The scalar level has no vector part: the callers' scalar tails do all n.
int64_t none_forward(float*, const float*, const float*, int64_t) {
  return 0;
}
int64_t none_backward(float*, float*, const float*, const float*, const float*, int64_t) {
  return 0;
}
}  // namespace

void isa::fill_vec_scalar(KernelTable& t, cpu::Level) {
  t.row_max = &row_max_ref;
  t.exp_sub_sum = &exp_sub_sum_ref;
  t.swiglu_forward = &none_forward;
  t.swiglu_backward = &none_backward;
}

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
  const int64_t i = kernels().swiglu_forward(out, gate, up, n);
  swiglu_forward_rows_ref(out + i, gate + i, up + i, n - i);
}

void swiglu_backward_rows(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                          int64_t n) {
  const int64_t i = kernels().swiglu_backward(dgate, dup, dout, gate, up, n);
  swiglu_backward_rows_ref(dgate + i, dup + i, dout + i, gate + i, up + i, n - i);
}

float row_max(const float* x, int n) {
  return kernels().row_max(x, n);
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
  return kernels().exp_sub_sum(x, n, sub);
}

double exp_sub_sum(double* x, int n, double sub) {
  double sum = 0;
  for (int j = 0; j < n; j++) {
    x[j] = std::exp(x[j] - sub);
    sum += x[j];
  }
  return sum;
}

}  // namespace lw::kernels
