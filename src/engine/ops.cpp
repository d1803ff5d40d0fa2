// Threads, embedding lookup, residual add and softmax rows (engine/ops.hpp). RMSNorm, RoPE and
// SwiGLU have files of their own (rmsnorm.cpp, rope.cpp, swiglu.cpp), the linear layers matmul.cpp.
#include "engine/ops.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/blas.hpp"
#include "quant/repack.hpp"
#include "util/error.hpp"
#include "util/thread_pool.hpp"

namespace lw::engine {

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
#ifndef LW_ACCELERATE
  openblas_set_num_threads(n);
#endif
  ThreadPool::global().resize(n);
}

int num_threads() {
  return omp_get_max_threads();
}

namespace {
void check_ids(const int32_t* ids, int T, int64_t V) {
  for (int t = 0; t < T; ++t) {
    if (ids[t] < 0 || ids[t] >= V)
      fail_input("token id {} at position {} is outside the vocabulary [0, {})", ids[t], t, V);
  }
}
}  // namespace

void embedding_forward(float* out, const int32_t* ids, int T, const Tensor& table) {
  const int64_t V = table.rows(), C = table.cols();
  if (table.dtype == DType::f32) return embedding_forward(out, ids, T, table.f32(), V, C);
  check_ids(ids, T, V);
#pragma omp parallel for schedule(static) if (int64_t{T} * C > (1 << 16))
  for (int t = 0; t < T; ++t) {
    if (quant::is_x16(table.dtype)) {  // a tied output matrix repacked at load (quant/repack.hpp)
      quant::x16_row_to_f32(table.dtype, table.data, V, C, ids[t], out + static_cast<int64_t>(t) * C);
      continue;
    }
    const Tensor row = table.row_slice(ids[t], 1);  // (1, C)
    to_f32(table.dtype, row.data, out + static_cast<int64_t>(t) * C, C);
  }
}

template <typename F>
void embedding_forward(F* out, const int32_t* ids, int T, const F* table, int64_t V, int64_t C) {
  check_ids(ids, T, V);
#pragma omp parallel for schedule(static) if (int64_t{T} * C > (1 << 16))
  for (int t = 0; t < T; ++t)
    std::memcpy(out + static_cast<int64_t>(t) * C, table + static_cast<int64_t>(ids[t]) * C, sizeof(F) * C);
}

void softmax_forward(float* out, const float* x, int rows, int cols) {
#pragma omp parallel for schedule(static) if (int64_t{rows} * cols > (1 << 16))
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<int64_t>(r) * cols;  // (cols)
    float* o = out + static_cast<int64_t>(r) * cols;       // (cols)
    float m = -INFINITY;
    for (int i = 0; i < cols; ++i) m = std::max(m, xr[i]);
    float sum = 0.0f;
    for (int i = 0; i < cols; ++i) {
      o[i] = std::exp(xr[i] - m);
      sum += o[i];
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < cols; ++i) o[i] *= inv;
  }
}

template <typename F>
void add_inplace(F* out, const F* x, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) out[i] += x[i];
}

#define LW_INSTANTIATE(F)                                                                  \
  template void embedding_forward<F>(F*, const int32_t*, int, const F*, int64_t, int64_t); \
  template void add_inplace<F>(F*, const F*, int64_t);
LW_INSTANTIATE(float)
LW_INSTANTIATE(double)
#undef LW_INSTANTIATE

}  // namespace lw::engine
