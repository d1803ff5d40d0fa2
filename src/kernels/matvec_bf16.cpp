// ARMv8.6 BF16 matrix-vector kernels: bf16 weights times activations rounded to bf16, with bfdot
// (two bf16 products per f32 lane), for 1..kMaxMatvecRows activation rows. The other types keep the
// kernels of the levels below.
#include <arm_neon.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/isa.hpp"
#include "kernels/isa_target.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/half.hpp"

#define LW_NEON_DOTPROD 1

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "kernels/matvec_q_neon.inc"

inline bfloat16x8_t bf8(const uint16_t* p) {
  return vreinterpretq_bf16_u16(vld1q_u16(p));
}

// W (rows, n) bf16 times NT activation rows (n bf16 each, rows act_stride bytes apart).
template <int NT>
void mv_bf16(const MatvecArgs& a, int64_t r0, int64_t r1) {
  const int64_t n = a.n, main = n / 8 * 8;
  const uint16_t* x[NT];
  for (int t = 0; t < NT; ++t)
    x[t] = reinterpret_cast<const uint16_t*>(static_cast<const char*>(a.act) + t * a.act_stride);
  for (int64_t r = r0; r < r1; ++r) {
    const auto* w = reinterpret_cast<const uint16_t*>(wrow(a, r));
    float32x4_t acc[NT][2];  // two chains per activation row
    for (int t = 0; t < NT; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 16 <= main; i += 16) {
      prefetch_ahead<32>(w + i);
      const bfloat16x8_t w0 = bf8(w + i), w1 = bf8(w + i + 8);
      for (int t = 0; t < NT; ++t) {
        acc[t][0] = vbfdotq_f32(acc[t][0], w0, bf8(x[t] + i));
        acc[t][1] = vbfdotq_f32(acc[t][1], w1, bf8(x[t] + i + 8));
      }
    }
    for (; i < main; i += 8) {
      const bfloat16x8_t w0 = bf8(w + i);
      for (int t = 0; t < NT; ++t) acc[t][0] = vbfdotq_f32(acc[t][0], w0, bf8(x[t] + i));
    }
    for (int t = 0; t < NT; ++t) {
      float s = vaddvq_f32(vaddq_f32(acc[t][0], acc[t][1]));
      for (int64_t j = main; j < n; ++j) s += bf16_to_f32(w[j]) * bf16_to_f32(x[t][j]);  // tail
      a.out[t * a.out_stride + r] = s + (a.bias ? a.bias[r] : 0.0f);
    }
  }
}

}  // namespace

void fill_matvec_bf16(KernelTable& t, cpu::Level) {
  TypeKernels& k = t.of(DType::bf16);
  fill_rows(k.matvec, []<int NT>() -> MatvecFn { return &mv_bf16<NT>; });
  k.act = ActFormat::bf16;  // the scalar level's quantizer rounds the activations (quant::f32_to_bf16)
}

}  // namespace lw::kernels::isa
