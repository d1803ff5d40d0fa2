// ARMv8 NEON matrix-vector kernels (the neon level): float weights 4 lanes at a time
// (kernels/matvec_f.inc over cpu/vec_neon.inc); quantized weights with smull / sadalp integer dots
// (kernels/matvec_q_neon.inc); the vector activation quantizer.
#include <arm_neon.h>

#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/isa.hpp"
#include "kernels/isa_target.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/half.hpp"

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "cpu/vec_neon.inc"
#include "kernels/matvec_q_neon.inc"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"  // float_kernel: its 1..8 switch is not used here
#include "kernels/matvec_f.inc"
#pragma GCC diagnostic pop

template <ActFormat F>
void quantize_act(const float* x, int64_t n, void* out) {
  quantize_act_v(F, x, n, out);
}

}  // namespace

void fill_matvec_neon(KernelTable& t, cpu::Level) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    TypeKernels& k = t.type[i];
    if (traits(d).quantized)
      fill_rows(k.matvec, [d]<int NT>() { return quant_kernel_nt<NeonDot, NT>(d); });
    else
      fill_rows(k.matvec, [d]<int NT>() { return float_kernel_nt<NT>(d); });
    k.act = traits(d).act;
  }
  t.quantize_act[static_cast<int>(ActFormat::q8_32)] = &quantize_act<ActFormat::q8_32>;
  t.quantize_act[static_cast<int>(ActFormat::q8_256)] = &quantize_act<ActFormat::q8_256>;
}

}  // namespace lw::kernels::isa
