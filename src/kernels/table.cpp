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
#if defined(__x86_64__) || defined(__i386__)
    {L::avx2, &isa::fill_ops_avx2},
    {L::avx2, &isa::fill_matvec_avx2},
    {L::avx2, &isa::fill_gemm_avx2},
    {L::avx2, &isa::fill_matvec_x16_avx2},
    {L::avx512, &isa::fill_ops_avx512},
    {L::avx512, &isa::fill_matvec_avx512},
    {L::avx512, &isa::fill_gemm_avx512},
    {L::avx512, &isa::fill_matvec_x16_avx512},
#elif defined(__aarch64__)
    {L::neon, &isa::fill_ops_neon},
    {L::neon, &isa::fill_matvec_neon},
    {L::dotprod, &isa::fill_matvec_dotprod},
    {L::i8mm, &isa::fill_matvec_i8mm},
    {L::bf16, &isa::fill_matvec_bf16},
    {L::neon, &isa::fill_gemm_rows},
#endif
    {L::scalar, &isa::fill_x16_fallback},
};
// clang-format on

KernelTable build(L level) {
  KernelTable t;
  t.level = level;
  for (const Fill& f : kFills)
    if (cpu::implies(level, f.from)) f.fn(t, level);
  for (int i = 0; i < quant::kNumAllDTypes; ++i) {
    const TypeKernels& k = t.type[i];
    LW_CHECK(k.to_f32 && k.from_f32 && k.matvec[0] && k.matvec[kMaxMatvecRows - 1],
             "kernel table {}: {} is incomplete", cpu::level_name(level),
             quant::dtype_name(static_cast<DType>(i)));
  }
  return t;
}

// Levels the CPU lacks are never built: their fills are compiled for instructions it lacks.
const std::array<KernelTable, cpu::kNumLevels>& tables() {
  static const std::array<KernelTable, cpu::kNumLevels> all = [] {
    std::array<KernelTable, cpu::kNumLevels> a{};
    for (L l : cpu::supported_levels()) a[static_cast<int>(l)] = build(l);
    return a;
  }();
  return all;
}

}  // namespace

const KernelTable& kernels(cpu::Level level) {
  return tables()[static_cast<int>(cpu::implies(cpu::max_level(), level) ? level : cpu::max_level())];
}

const KernelTable& kernels() {
  return kernels(cpu::level());
}

}  // namespace lw::kernels
