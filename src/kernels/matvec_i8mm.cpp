// ARMv8.6 i8mm matrix-vector kernels for multi-row decode: 2 weight rows x 2 activation rows per
// smmla (kernels/matvec_q_neon.inc's mv_q_mm) for every quantized type and 2..kMaxMatvecRows
// activation rows; one activation row stays the dotprod level's sdot kernel.
#include <arm_neon.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/isa.hpp"
#include "kernels/isa_target.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"

#define LW_NEON_DOTPROD 1
#define LW_NEON_I8MM 1

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "kernels/matvec_q_neon.inc"

template <int NT>
MatvecFn mm_kernel(DType t) {
  if constexpr (NT == 1) {
    return quant_kernel_nt<SdotDot, 1>(t);
  } else {
    switch (t) {
      case DType::q4_0:
        return &mv_q_mm<TQ4_0, NT>;
      case DType::q4_1:
        return &mv_q_mm<TQ4_1, NT>;
      case DType::q5_0:
        return &mv_q_mm<TQ5_0, NT>;
      case DType::q5_1:
        return &mv_q_mm<TQ5_1, NT>;
      case DType::q8_0:
        return &mv_q_mm<TQ8_0, NT>;
      case DType::iq4_nl:
        return &mv_q_mm<TIQ4_NL, NT>;
      case DType::q2_k:
        return &mv_q_mm<TQ2_K, NT>;
      case DType::q3_k:
        return &mv_q_mm<TQ3_K, NT>;
      case DType::q4_k:
        return &mv_q_mm<TQ45_K<false>, NT>;
      case DType::q5_k:
        return &mv_q_mm<TQ45_K<true>, NT>;
      case DType::q6_k:
        return &mv_q_mm<TQ6_K, NT>;
      case DType::iq4_xs:
        return &mv_q_mm<TIQ4_XS, NT>;
      default:
        return nullptr;
    }
  }
}

}  // namespace

void fill_matvec_i8mm(KernelTable& t, cpu::Level) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    if (traits(d).quantized) fill_rows(t.type[i].matvec, [d]<int NT>() { return mm_kernel<NT>(d); });
  }
}

}  // namespace lw::kernels::isa
