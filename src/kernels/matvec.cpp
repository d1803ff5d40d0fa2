// matvec_plan and quantize_act_rows: the entries of the level's kernel table.
#include "kernels/matvec.hpp"

#include "kernels/table.hpp"
#include "util/error.hpp"

namespace lw::kernels {

MatvecPlan matvec_plan(DType t, int nt, cpu::Level level) {
  LW_CHECK(nt >= 1 && nt <= kMaxMatvecRows, "matvec: {} activation rows (1..{})", nt, kMaxMatvecRows);
  const TypeKernels& k = kernels(level).of(t);
  return {k.matvec[nt - 1], k.act};
}

void quantize_act_rows(ActFormat f, const float* x, int nt, int64_t n, void* out) {
  const QuantizeActFn q = kernels().quantize_act[static_cast<int>(f)];
  const size_t rb = quant::act_row_bytes(f, n);
  for (int t = 0; t < nt; ++t)
    q(x + static_cast<int64_t>(t) * n, n, static_cast<char*>(out) + static_cast<size_t>(t) * rb);
}

}  // namespace lw::kernels
