// AVX2 + FMA + F16C matrix-vector kernels: float weights 8 lanes at a time; quantized weights with
// vpmaddubsw / vpmaddwd integer dot products (matvec_q.inc).
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/half.hpp"
#include "kernels/isa_target.hpp"

namespace lw::kernels::isa {

namespace {

using namespace quant;

#include "cpu/vec_avx2.inc"
#include "kernels/matvec_q.inc"
#include "kernels/matvec_f.inc"


template <ActFormat F>
void quantize_act(const float* x, int64_t n, void* out) {
  quantize_act_v(F, x, n, out);
}

}  // namespace

void fill_matvec_avx2(KernelTable& t, cpu::Level) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    TypeKernels& k = t.type[i];
    const bool q = traits(d).quantized;
    for (int nt = 1; nt <= kMaxMatvecRows; ++nt) k.matvec[nt - 1] = q ? quant_kernel<Avx2Dot>(d, nt) : float_kernel(d, nt);
    k.act = traits(d).act;
  }
  t.quantize_act[static_cast<int>(ActFormat::q8_32)] = &quantize_act<ActFormat::q8_32>;
  t.quantize_act[static_cast<int>(ActFormat::q8_256)] = &quantize_act<ActFormat::q8_256>;
}

}  // namespace lw::kernels::isa
