// SwiGLU (engine/ops.hpp): out = silu(gate) * up. f32 runs the vector kernels (kernels/vec.hpp) in
// chunks over the threads; f64 is a plain loop.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "engine/ops.hpp"
#include "kernels/vec.hpp"

namespace lw::engine {

template <typename F>
void swiglu_forward(F* out, const F* gate, const F* up, int T, int ffn) {
  const int64_t n = static_cast<int64_t>(T) * ffn;
  if constexpr (std::is_same_v<F, float>) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i0 = 0; i0 < n; i0 += kernels::kEltChunk)
      kernels::swiglu_forward_rows(out + i0, gate + i0, up + i0, std::min(kernels::kEltChunk, n - i0));
  } else {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      const F g = gate[i];
      out[i] = g * (F(1) / (F(1) + std::exp(-g))) * up[i];
    }
  }
}

template void swiglu_forward<float>(float*, const float*, const float*, int, int);
template void swiglu_forward<double>(double*, const double*, const double*, int, int);

}  // namespace lw::engine
