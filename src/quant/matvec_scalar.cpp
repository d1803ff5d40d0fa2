// The scalar level: each weight row decoded to f32 (the reference decoder), dotted with the f32
// activations. Portable; also the reference the vector kernels are measured against.
#include <vector>

#include "quant/matvec.hpp"

namespace lw::quant::detail {

namespace {

void rows_scalar(const MatvecArgs& a, int64_t r0, int64_t r1, DType t) {
  std::vector<float> row(static_cast<size_t>(a.n));
  const RowToF32 dec = traits(t).to_f32_ref;
  for (int64_t r = r0; r < r1; ++r) {
    const float* wr;
    if (t == DType::f32) {
      wr = reinterpret_cast<const float*>(static_cast<const char*>(a.w) + r * a.w_stride);
    } else {
      dec(static_cast<const char*>(a.w) + r * a.w_stride, row.data(), a.n);
      wr = row.data();
    }
    for (int tt = 0; tt < a.nt; ++tt) {
      const float* xt = a.x + tt * a.n;
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < a.n; ++i) acc += wr[i] * xt[i];
      a.out[tt * a.out_stride + r] = acc + (a.bias ? a.bias[r] : 0.0f);
    }
  }
}

template <DType T>
void kernel(const MatvecArgs& a, int64_t r0, int64_t r1) {
  rows_scalar(a, r0, r1, T);
}

template <int... I>
constexpr MatvecFn pick(DType t, std::integer_sequence<int, I...>) {
  MatvecFn fns[] = {&kernel<static_cast<DType>(I)>...};
  return fns[static_cast<int>(t)];
}

}  // namespace

MatvecFn scalar_kernel(DType t, int /*nt*/) { return pick(t, std::make_integer_sequence<int, kNumDTypes>{}); }

}  // namespace lw::quant::detail
