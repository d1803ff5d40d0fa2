// RMSNorm (engine/ops.hpp): the sum of squares in double for f32 and f64 alike, so the engine and
// the trainer normalise identically.
#include <cmath>

#include "engine/ops.hpp"

namespace lw::engine {

template <typename F>
void rmsnorm_forward(F* out, std::type_identity_t<F>* rstd, const F* x, const F* w, int T, int C, float eps) {
#pragma omp parallel for schedule(static) if (int64_t{T} * C > (1 << 16))
  for (int t = 0; t < T; ++t) {
    const F* xr = x + static_cast<int64_t>(t) * C;  // (C)
    F* o = out + static_cast<int64_t>(t) * C;       // (C)
    double ss = 0.0;
#pragma omp simd reduction(+ : ss)
    for (int i = 0; i < C; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const F r = static_cast<F>(1.0 / std::sqrt(ss / C + eps));
    if (rstd) rstd[t] = r;
#pragma omp simd
    for (int i = 0; i < C; ++i) o[i] = xr[i] * r * w[i];
  }
}

template void rmsnorm_forward<float>(float*, float*, const float*, const float*, int, int, float);
template void rmsnorm_forward<double>(double*, double*, const double*, const double*, int, int, float);

}  // namespace lw::engine
