#include "quant/dequant.hpp"

#include "cpu/features.hpp"

namespace lw::quant {

void dequantize_row(DType t, const void* src, float* dst, int64_t n) {
  if (cpu::at_least(cpu::Level::avx512) && detail::dequantize_avx512(t, src, dst, n)) return;
  if (cpu::at_least(cpu::Level::avx2) && detail::dequantize_avx2(t, src, dst, n)) return;
  traits(t).to_f32_ref(src, dst, n);
}

}  // namespace lw::quant
