// ARMv8.2 dotprod matrix-vector kernels: the quantized weights of kernels/matvec_q_neon.inc with
// sdot integer dots (the float kernels stay the neon level's).
#include <arm_neon.h>

#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/isa.hpp"
#include "kernels/isa_target.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"

#define LW_NEON_DOTPROD 1

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "kernels/matvec_q_neon.inc"

}  // namespace

void fill_matvec_dotprod(KernelTable& t, cpu::Level) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    if (traits(d).quantized)
      fill_rows(t.type[i].matvec, [d]<int NT>() { return quant_kernel_nt<SdotDot, NT>(d); });
  }
}

}  // namespace lw::kernels::isa
