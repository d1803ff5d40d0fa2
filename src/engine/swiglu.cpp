// SwiGLU (engine/ops.hpp): out = silu(gate) * up. f32 runs the vector kernels (kernels/vec.hpp) in
// chunks over the threads; f64 is a plain loop.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "engine/ops.hpp"
#include "kernels/vec.hpp"
#include "util/thread_pool.hpp"

namespace lw::engine {

template <typename F>
void swiglu_forward(F* out, const F* gate, const F* up, int T, int ffn) {
  const int64_t n = static_cast<int64_t>(T) * ffn;
  if constexpr (std::is_same_v<F, float>) {
    const int64_t chunk = kernels::kEltChunk, nc = (n + chunk - 1) / chunk;
    auto rows = [&](int64_t c0, int64_t c1) {
      for (int64_t i0 = c0 * chunk; i0 < std::min(n, c1 * chunk); i0 += chunk)
        kernels::swiglu_forward_rows(out + i0, gate + i0, up + i0, std::min(chunk, n - i0));
    };
    if (n <= 65536) {
      rows(0, nc);
    } else if (T <= kSmallStepRows) {
      ThreadPool::global().parallel_for(nc, rows);
    } else {
#pragma omp parallel for schedule(static)
      for (int64_t c = 0; c < nc; ++c) rows(c, c + 1);
    }
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
