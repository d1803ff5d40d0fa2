// The repacked types (quant/repack.hpp) at levels without their own kernels: each group of 16 rows
// de-interleaved into a thread-local buffer, then the level's base-type kernel on it. Correct at
// every level (tests switch levels after a model was loaded and repacked), but no faster than the
// base layout: the loader repacks only where a level has real kernels (TypeKernels::unrepacks).
#include <algorithm>
#include <utility>
#include <vector>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"
#include "quant/repack.hpp"

namespace lw::kernels::isa {

namespace {

using quant::kX16Rows;

template <DType X, int L, int NT>
void mv_unrepacked(const MatvecArgs& a, int64_t r0, int64_t r1) {
  const DType base = quant::x16_base(X);
  const MatvecFn fn = kernels(static_cast<cpu::Level>(L)).of(base).matvec[NT - 1];
  static thread_local std::vector<char> rows;
  const size_t rb = quant::dtype_bytes(base, a.n);
  rows.resize(rb * kX16Rows);
  const int64_t rg = r0 + (r1 - r0) / kX16Rows * kX16Rows;
  if (rg < r1) fn(a, rg, r1);                    // base rows after the groups (r1: the matrix's last row)
  for (int64_t r = r0; r < rg; r += kX16Rows) {  // whole groups (matvec_rows' tiles)
    quant::unrepack_x16(X, static_cast<const char*>(a.w) + (r / kX16Rows) * kX16Rows * a.w_stride,
                        rows.data(), kX16Rows, a.n);
    MatvecArgs g = a;
    g.w = rows.data(), g.w_stride = rb;
    g.out = a.out + r, g.bias = a.bias ? a.bias + r : nullptr;
    fn(g, 0, kX16Rows);
  }
}

template <DType X, int L, int... I>
void fill_nt(MatvecFn* out, std::integer_sequence<int, I...>) {
  ((out[I] = &mv_unrepacked<X, L, I + 1>), ...);
}

template <DType X, int... L>
void fill_level(KernelTable& t, int level, std::integer_sequence<int, L...>) {
  ((level == L ? fill_nt<X, L>(t.of(X).matvec, std::make_integer_sequence<int, kMaxMatvecRows>{}) : void()),
   ...);
}

template <DType X>
void fill_type(KernelTable& t, cpu::Level level) {
  TypeKernels& k = t.of(X);
  if (k.matvec[0]) return;  // the level has its own kernels
  fill_level<X>(t, static_cast<int>(level), std::make_integer_sequence<int, cpu::kNumLevels>{});
  k.act = t.of(quant::x16_base(X)).act;
  k.unrepacks = true;
}

}  // namespace

void fill_x16_fallback(KernelTable& t, cpu::Level level) {
  fill_type<DType::q4_k_x16>(t, level);
  fill_type<DType::q6_k_x16>(t, level);
  fill_type<DType::q8_0_x16>(t, level);
}

}  // namespace lw::kernels::isa
