#pragma once
// Matrix-vector products for decode: W (rows, n) in any storage type times nt <= 8 activation rows.
// Float weights read f32 activations (bf16 weights on AVX512_BF16 CPUs: activations rounded to
// bf16, vdpbf16ps); quantized weights read activations quantized once per call to 8 bits
// (ActQ8_32 / ActQ8_256, quant/blocks.hpp) and use integer dot products: AVX-512 VNNI (vpdpbusd /
// vpdpwssd) where present, AVX2 vpmaddubsw / vpmaddwd otherwise. The scalar level decodes each
// weight row to f32 and dots it with the f32 activations (the reference path). quant/gemm.hpp does
// the same arithmetic for many rows.
//
//   auto plan = quant::matvec_plan(w_type, nt);               // kernel + activation format
//   quant::quantize_act_rows(plan.act, x, nt, n, act_buf);     // when plan.act != f32
//   plan.fn(args, r0, r1);                                     // rows [r0, r1), any thread
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/features.hpp"
#include "quant/dtype.hpp"

namespace lw::quant {

constexpr int kMaxMatvecRows = 8;

struct MatvecArgs {
  int64_t n = 0;             // columns (input features); a multiple of the type's block
  const void* w = nullptr;   // weight row 0
  size_t w_stride = 0;       // bytes between weight rows
  const float* x = nullptr;  // (nt, n) f32 activations
  const void* act = nullptr; // (nt rows of act_stride bytes) quantized activations, or null
  size_t act_stride = 0;
  int nt = 1;                // activation rows, 1..kMaxMatvecRows
  float* out = nullptr;      // out[t * out_stride + r]
  int64_t out_stride = 0;
  const float* bias = nullptr;  // (rows) or null
};

using MatvecFn = void (*)(const MatvecArgs& a, int64_t r0, int64_t r1);

struct MatvecPlan {
  MatvecFn fn = nullptr;
  ActFormat act = ActFormat::f32;  // what quantize_act_rows must prepare (f32: nothing)
};

// The kernel for weight type t and nt activation rows at `level` (default: cpu::level()).
MatvecPlan matvec_plan(DType t, int nt, cpu::Level level);
inline MatvecPlan matvec_plan(DType t, int nt) { return matvec_plan(t, nt, cpu::level()); }

// Bytes of one activation row of n elements in format f.
size_t act_row_bytes(ActFormat f, int64_t n);
// Quantizes nt rows of n floats (x row stride n) into `out` (nt * act_row_bytes), at the current
// level; the vector paths give the same bytes as the scalar one.
void quantize_act_rows(ActFormat f, const float* x, int nt, int64_t n, void* out);

namespace ref {
// The scalar activation quantizer: d = amax / 127, q = nearbyint(x * (127 / amax)).
void quantize_act_row(ActFormat f, const float* x, int64_t n, void* out);
// The exact value the kernels compute for one weight row and one activation row in format f:
// dequantized weights times dequantized activations, summed in double.
double dot_act(DType t, ActFormat f, const void* w_row, const void* act_row, int64_t n);
}  // namespace ref

// Per-level kernel tables, filled by matvec_{scalar,avx2,avx512}.cpp.
namespace detail {
MatvecFn scalar_kernel(DType t, int nt);
MatvecFn avx2_kernel(DType t, int nt);
MatvecFn avx512_kernel(DType t, int nt, bool vnni);
MatvecFn avx512_bf16_kernel(int nt);  // bf16 weights x bf16 activations
void quantize_act_avx512(ActFormat f, const float* x, int64_t n, void* out);
void quantize_act_avx2(ActFormat f, const float* x, int64_t n, void* out);
}  // namespace detail

}  // namespace lw::quant
