// Rotary position embedding (engine/ops.hpp): the cos/sin tables of a batch's positions and the
// in-place rotation, standard (Llama, pairs i, i + rot/2) or interleaved (GLM, pairs 2i, 2i + 1),
// on all of a head or its first rot_dim dims. The frequencies (llama3 scaling included) are
// engine::rope_inv_freq's.
#include <cmath>

#include "engine/ops.hpp"

namespace lw::engine {

template <typename F>
void rope_cos_sin(F* cos, F* sin, const int32_t* pos, int T, const std::vector<float>& inv_freq) {
  const int half = static_cast<int>(inv_freq.size());
#pragma omp parallel for schedule(static) if (int64_t{T} * half > (1 << 14))
  for (int t = 0; t < T; ++t) {
    for (int i = 0; i < half; ++i) {
      // The angle is rounded to f32 first, as HF computes it (positions @ inv_freq in f32).
      const float a = static_cast<float>(pos[t]) * inv_freq[i];
      cos[static_cast<int64_t>(t) * half + i] = static_cast<F>(std::cos(static_cast<double>(a)));
      sin[static_cast<int64_t>(t) * half + i] = static_cast<F>(std::sin(static_cast<double>(a)));
    }
  }
}

template <typename F>
void rope_forward(F* x, const F* cos, const F* sin, int T, int n_head, int hd, int rot_dim, bool interleaved,
                  bool inverse) {
  const int half = rot_dim / 2;
  const F sgn = inverse ? F(-1) : F(1);
#pragma omp parallel for schedule(static) if (int64_t{T} * n_head * rot_dim > (1 << 16))
  for (int t = 0; t < T; ++t) {
    const F* c = cos + static_cast<int64_t>(t) * half;  // (rot/2)
    const F* s = sin + static_cast<int64_t>(t) * half;  // (rot/2)
    for (int h = 0; h < n_head; ++h) {
      F* xh = x + (static_cast<int64_t>(t) * n_head + h) * hd;  // (hd)
      if (interleaved) {
        for (int i = 0; i < half; ++i) {
          const F a = xh[2 * i], b = xh[2 * i + 1], si = sgn * s[i];
          xh[2 * i] = a * c[i] - b * si;
          xh[2 * i + 1] = b * c[i] + a * si;
        }
      } else {
        for (int i = 0; i < half; ++i) {
          const F a = xh[i], b = xh[i + half], si = sgn * s[i];
          xh[i] = a * c[i] - b * si;
          xh[i + half] = b * c[i] + a * si;
        }
      }
    }
  }
}

#define LW_INSTANTIATE(F)                                                                \
  template void rope_cos_sin<F>(F*, F*, const int32_t*, int, const std::vector<float>&); \
  template void rope_forward<F>(F*, const F*, const F*, int, int, int, int, bool, bool);
LW_INSTANTIATE(float)
LW_INSTANTIATE(double)
#undef LW_INSTANTIATE

}  // namespace lw::engine
