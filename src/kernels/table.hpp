#pragma once
// The kernel layer's one dispatch point: a table of function pointers per CPU level (cpu/features.hpp),
// built once, the first time any kernel is asked for, from the scalar kernels and the per-ISA
// sources up to that level (kernels/table.cpp lists them). Callers fetch the table once per matrix
// or row call -- `const KernelTable& k = kernels::kernels();` -- and never branch on the level.
//
//   per weight type (DType):  row decode to f32 and encode from f32, the activation format and the
//                             matrix-vector kernels for 1..kMaxMatvecRows activation rows, the GEMM
//   per activation format:    the row quantizer
//   per level:                the vector ops (softmax rows, SwiGLU, attention tiles)
//
// A null entry means "no kernel at this level": the caller's documented fallback (BLAS for GEMM,
// the portable tiled attention) runs instead.
#include <cstdint>

#include "cpu/features.hpp"
#include "kernels/gemm.hpp"
#include "kernels/matvec.hpp"
#include "quant/dtype.hpp"

namespace lw::kernels {

using quant::RowFromF32;
using quant::RowToF32;

using QuantizeActFn = void (*)(const float* x, int64_t n, void* out);  // one row in the table's format

// Tiled prefill attention for the nh query heads of one KV head (hd % vec_width == 0, hd <= 128):
// the queries r < nq at positions first_pos + r against keys 0..first_pos + r; q/out rows of
// q_stride floats (head g at +g*hd), k/v rows of kv_stride elements of kv_dtype (f32, f16, bf16,
// or q8_0 / q4_0 with hd % 32 == 0),
// lse (nq rows of lse_stride, head g at +g) or null; kt (hd, 64), s (64), acc (nh*nq, hd),
// m, l (nh*nq) are scratch.
using AttendTileFn = void (*)(DType kv_dtype, const float* q, int64_t q_stride, const void* k, const void* v,
                              int64_t kv_stride, int hd, float scale, int nq, int first_pos, float* out,
                              float* lse, int64_t lse_stride, int nh, float* kt, float* s, float* acc,
                              float* m, float* l);
// Decode attention of the `group` query heads sharing one KV head (hd 32, 64 or 128); see
// engine/attention.cpp's attend_decode_group for the shapes.
using DecodeGroupFn = void (*)(const float* q, const void* k, const void* v, DType kv_dtype,
                               int64_t kv_stride, int hd, int group, float scale, int Tk, float* out,
                               float* lse, float* scores);

struct TypeKernels {
  RowToF32 to_f32 = nullptr;             // decode n elements (a multiple of the block) to f32
  RowFromF32 from_f32 = nullptr;         // encode (quantize / round) n elements from f32
  ActFormat act = ActFormat::f32;        // what the matvec kernels read (quantize_act_rows prepares it)
  MatvecFn matvec[kMaxMatvecRows] = {};  // [nt - 1]: nt activation rows
  GemmFn gemm = nullptr;                 // null: no GEMM at this level (BLAS)
  // Repacked types only: true where the level has no kernels of its own and matvec de-interleaves
  // each group for the base type's kernels (kernels/x16_fallback.cpp; correct, not faster).
  bool unrepacks = false;
};

struct KernelTable {
  cpu::Level level = cpu::Level::scalar;
  TypeKernels type[quant::kNumAllDTypes];  // the repacked types' matvec only where a level has them
  QuantizeActFn quantize_act[4] = {};  // [ActFormat]

  // Vector ops. vec_width: f32 lanes of the attention tiles (0: none at this level).
  int vec_width = 0;
  float (*row_max)(const float* x, int n) = nullptr;           // n >= 1
  float (*exp_sub_sum)(float* x, int n, float sub) = nullptr;  // n >= 1
  // SwiGLU forward / backward over a leading part of n elements; return how many they did (the
  // caller finishes the tail with the scalar code).
  int64_t (*swiglu_forward)(float* out, const float* gate, const float* up, int64_t n) = nullptr;
  int64_t (*swiglu_backward)(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                             int64_t n) = nullptr;
  AttendTileFn attend_tile = nullptr;    // null below avx2
  DecodeGroupFn decode_group = nullptr;  // null below avx2

  const TypeKernels& of(DType t) const { return type[static_cast<int>(t)]; }
  TypeKernels& of(DType t) { return type[static_cast<int>(t)]; }
};

// The table of the current level (cpu::level(): detection lowered by LW_CPU or cpu::set_level).
const KernelTable& kernels();
// The table of any level up to cpu::max_level() (tests and benchmarks compare levels).
const KernelTable& kernels(cpu::Level level);

// Row decode / encode through the current table (n a multiple of the type's block).
inline void decode_row(DType t, const void* src, float* dst, int64_t n) {
  kernels().of(t).to_f32(src, dst, n);
}
inline void encode_row(DType t, const float* src, void* dst, int64_t n) {
  kernels().of(t).from_f32(src, dst, n);
}

}  // namespace lw::kernels
