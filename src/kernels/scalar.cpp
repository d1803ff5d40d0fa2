// The scalar level's weight-type kernels, portable C++ and the reference the vector kernels are
// measured against: each weight row decoded to f32 by the reference decoder and dotted with the f32
// activations; the reference decoders and quantizers of quant/dtype.hpp; the scalar activation
// quantizer.
#include <utility>
#include <vector>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"

namespace lw::kernels::isa {

namespace {

void rows_scalar(const MatvecArgs& a, int64_t r0, int64_t r1, DType t) {
  std::vector<float> row(static_cast<size_t>(a.n));
  const RowToF32 dec = quant::traits(t).to_f32_ref;
  for (int64_t r = r0; r < r1; ++r) {
    const float* wr;
    if (t == DType::f32) {
      wr = reinterpret_cast<const float*>(static_cast<const char*>(a.w) + r * a.w_stride);
    } else {
      dec(static_cast<const char*>(a.w) + r * a.w_stride, row.data(), a.n);
      wr = row.data();
    }
    for (int tt = 0; tt < a.nt; ++tt) {
      const float* xt = a.x + tt * (a.x_stride ? a.x_stride : a.n);
      float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < a.n; ++i) acc += wr[i] * xt[i];
      a.out[tt * a.out_stride + r] = acc + (a.bias ? a.bias[r] : 0.0f);
    }
  }
}

template <DType T>
void kernel(const MatvecArgs& a, int64_t r0, int64_t r1) {
  rows_scalar(a, r0, r1, T);
}

template <int... I>
constexpr MatvecFn pick(DType t, std::integer_sequence<int, I...>) {
  MatvecFn fns[] = {&kernel<static_cast<DType>(I)>...};
  return fns[static_cast<int>(t)];
}

template <ActFormat F>
void quantize_act_ref(const float* x, int64_t n, void* out) {
  quant::ref::quantize_act_row(F, x, n, out);
}

}  // namespace

void fill_scalar(KernelTable& t, cpu::Level) {
  for (int i = 0; i < quant::kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    TypeKernels& k = t.type[i];
    k.to_f32 = quant::traits(d).to_f32_ref;
    k.from_f32 = quant::traits(d).from_f32;
    k.act = ActFormat::f32;  // the scalar kernels read f32 activations, whatever the type
    for (MatvecFn& f : k.matvec) f = pick(d, std::make_integer_sequence<int, quant::kNumDTypes>{});
  }
  // The repacked types: no row decode (their traits fail loudly), no kernel below the levels that
  // fill one (kernels/matvec_x16_avx2.cpp, kernels/matvec_x16_avx512.cpp).
  for (int i = quant::kNumDTypes; i < quant::kNumAllDTypes; ++i) {
    t.type[i].to_f32 = quant::traits(static_cast<DType>(i)).to_f32_ref;
    t.type[i].from_f32 = quant::traits(static_cast<DType>(i)).from_f32;
    t.type[i].act = quant::traits(static_cast<DType>(i)).act;
  }
  t.quantize_act[static_cast<int>(ActFormat::f32)] = &quantize_act_ref<ActFormat::f32>;
  t.quantize_act[static_cast<int>(ActFormat::q8_32)] = &quantize_act_ref<ActFormat::q8_32>;
  t.quantize_act[static_cast<int>(ActFormat::q8_256)] = &quantize_act_ref<ActFormat::q8_256>;
  t.quantize_act[static_cast<int>(ActFormat::bf16)] = &quantize_act_ref<ActFormat::bf16>;
}

}  // namespace lw::kernels::isa
