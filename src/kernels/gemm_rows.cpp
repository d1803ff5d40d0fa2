// The GEMM of the aarch64 levels, built from the level's multi-row matrix-vector kernels: the
// activations quantized (or rounded to bf16) once, then per panel of kPanel weight rows (one OpenMP task
// each, so the panel stays in cache) the T rows in chunks of kMaxMatvecRows through matvec[nt - 1] -- smull /
// sdot per row at neon and dotprod, 2x2 smmla tiles at i8mm and above. The arithmetic is the
// matrix-vector kernels' own, so a prompt and its token-by-token decode agree exactly.
#include <algorithm>
#include <utility>
#include <vector>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"

namespace lw::kernels::isa {

namespace {

constexpr int64_t kPanel = 32;  // weight rows per task

template <DType T>
bool gemm_rows(const GemmArgs& g) {
  const KernelTable& k = kernels();
  const ActFormat f = k.of(T).act;
  const size_t rb = quant::act_row_bytes(f, g.IC);
  std::vector<char> act;
  if (f != ActFormat::f32) {
    act.resize(rb * static_cast<size_t>(g.T));
    quantize_act_rows(f, g.x, g.T, g.IC, act.data());
  }
  const int64_t panels = (g.OC + kPanel - 1) / kPanel;
#pragma omp parallel for schedule(dynamic) if (panels > 1 && g.IC * g.OC > (1 << 16))
  for (int64_t p = 0; p < panels; ++p) {
    const int64_t r0 = p * kPanel, r1 = std::min(g.OC, r0 + kPanel);
    for (int t0 = 0; t0 < g.T; t0 += kMaxMatvecRows) {
      const int nt = std::min(kMaxMatvecRows, g.T - t0);
      MatvecArgs m;
      m.n = g.IC, m.w = g.w, m.w_stride = g.w_stride;
      m.x = g.x + static_cast<int64_t>(t0) * g.IC;
      m.act = act.empty() ? nullptr : act.data() + rb * static_cast<size_t>(t0);
      m.act_stride = rb;
      m.nt = nt;
      m.out = g.out + static_cast<int64_t>(t0) * g.out_stride, m.out_stride = g.out_stride;
      m.bias = g.bias;
      k.of(T).matvec[nt - 1](m, r0, r1);
    }
  }
  return true;
}

template <int... I>
GemmFn pick(DType t, std::integer_sequence<int, I...>) {
  constexpr GemmFn fns[] = {&gemm_rows<static_cast<DType>(I)>...};
  return fns[static_cast<int>(t)];
}

}  // namespace

// Every type whose matvec kernels read prepared activations: the quantized types (8-bit) and bf16
// at the bf16 level (bf16-rounded), so a prompt meets the same activations as its decode. Runs after
// the matvec fills (kFills order).
void fill_gemm_rows(KernelTable& t, cpu::Level) {
  for (int i = 0; i < quant::kNumDTypes; ++i)
    if (t.type[i].act != ActFormat::f32)
      t.type[i].gemm = pick(static_cast<DType>(i), std::make_integer_sequence<int, quant::kNumDTypes>{});
}

}  // namespace lw::kernels::isa
