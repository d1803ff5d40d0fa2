// The kernel tables: one per level up to the CPU's, each built once from the fills of kFills whose
// level it reaches, in list order (a later fill overwrites an earlier one's entries). Adding a kernel
// is one more assignment in its source's fill; adding a level (cpu::Level, its target string in
// cmake/modules.cmake, its *_<isa>.cpp sources) is one more row per source here.
#include "kernels/table.hpp"

#include <algorithm>
#include <array>

#include "kernels/isa.hpp"
#include "util/error.hpp"

namespace lw::kernels {

namespace {

using L = cpu::Level;

struct Fill {
  L from;  // the lowest level whose table this source fills
  void (*fn)(KernelTable& t, L level);
};

// clang-format off
constexpr Fill kFills[] = {
    {L::scalar, &isa::fill_scalar},
    {L::scalar, &isa::fill_vec_scalar},
    {L::avx2, &isa::fill_ops_avx2},
    {L::avx2, &isa::fill_matvec_avx2},
    {L::avx2, &isa::fill_gemm_avx2},
    {L::avx512, &isa::fill_ops_avx512},
    {L::avx512, &isa::fill_matvec_avx512},
    {L::avx512, &isa::fill_gemm_avx512},
};
// clang-format on

constexpr int kLevels = static_cast<int>(L::avx512_bf16) + 1;

KernelTable build(L level) {
  KernelTable t;
  t.level = level;
  for (const Fill& f : kFills)
    if (static_cast<int>(f.from) <= static_cast<int>(level)) f.fn(t, level);
  for (int i = 0; i < quant::kNumDTypes; ++i) {
    const TypeKernels& k = t.type[i];
    LW_CHECK(k.to_f32 && k.from_f32 && k.matvec[0] && k.matvec[kMaxMatvecRows - 1],
             "kernel table {}: {} is incomplete", cpu::level_name(level),
             quant::dtype_name(static_cast<DType>(i)));
  }
  return t;
}

// Levels above the CPU's are never built: their fills are compiled for instructions it lacks.
const std::array<KernelTable, kLevels>& tables() {
  static const std::array<KernelTable, kLevels> all = [] {
    std::array<KernelTable, kLevels> a{};
    for (int l = 0; l <= static_cast<int>(cpu::max_level()); ++l) a[l] = build(static_cast<L>(l));
    return a;
  }();
  return all;
}

}  // namespace

const KernelTable& kernels(cpu::Level level) {
  const int l = std::min(static_cast<int>(level), static_cast<int>(cpu::max_level()));
  return tables()[l];
}

const KernelTable& kernels() {
  return kernels(cpu::level());
}

}  // namespace lw::kernels
