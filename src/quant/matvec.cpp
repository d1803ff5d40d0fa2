// Level dispatch of the matrix-vector kernels.
#include "quant/matvec.hpp"

#include "util/error.hpp"

namespace lw::quant {

MatvecPlan matvec_plan(DType t, int nt, cpu::Level level) {
  LW_CHECK(nt >= 1 && nt <= kMaxMatvecRows, "matvec: {} activation rows (1..{})", nt, kMaxMatvecRows);
  MatvecPlan p;
  using L = cpu::Level;
  const int lv = static_cast<int>(level);
  if (lv >= static_cast<int>(L::avx512)) {
    const bool bf16 = t == DType::bf16 && lv >= static_cast<int>(L::avx512_bf16);
    p.fn = bf16 ? detail::avx512_bf16_kernel(nt) : detail::avx512_kernel(t, nt, lv >= static_cast<int>(L::avx512_vnni));
    p.act = bf16 ? ActFormat::bf16 : traits(t).act;
  } else if (lv >= static_cast<int>(L::avx2)) {
    p.fn = detail::avx2_kernel(t, nt);
    p.act = traits(t).act;
  } else {
    p.fn = detail::scalar_kernel(t, nt);
    p.act = ActFormat::f32;
  }
  LW_CHECK(p.fn != nullptr, "matvec: no kernel for {} at level {}", dtype_name(t), cpu::level_name(level));
  return p;
}

}  // namespace lw::quant
