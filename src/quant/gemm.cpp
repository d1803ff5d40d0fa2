#include "quant/gemm.hpp"


namespace lw::quant {

bool gemm_supported(DType t, cpu::Level level) {
  const int lv = static_cast<int>(level);
  if (traits(t).quantized) return lv >= static_cast<int>(cpu::Level::avx2);
  if (t == DType::bf16) return lv >= static_cast<int>(cpu::Level::avx512_bf16);
  return false;
}

bool gemm(DType t, const GemmArgs& a) {
  using L = cpu::Level;
  if (!gemm_supported(t)) return false;
  if (cpu::at_least(L::avx512) &&
      detail::gemm_avx512(t, a, cpu::at_least(L::avx512_vnni), cpu::at_least(L::avx512_bf16)))
    return true;
  return cpu::at_least(L::avx2) && detail::gemm_avx2(t, a);
}

}  // namespace lw::quant
