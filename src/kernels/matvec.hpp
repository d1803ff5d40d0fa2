#pragma once
// Matrix-vector products for decode: W (rows, n) in any storage type times nt <= 16 activation rows
// (sequences decoded together, or drafted tokens), each weight block read and unpacked once for all.
// Float weights read f32 activations (bf16 weights on AVX512_BF16 CPUs: activations rounded to
// bf16, vdpbf16ps); quantized weights read activations quantized once per call to 8 bits
// (ActQ8_32 / ActQ8_256, quant/blocks.hpp) and use integer dot products: AVX-512 VNNI (vpdpbusd /
// vpdpwssd) where present, AVX2 vpmaddubsw / vpmaddwd otherwise. The scalar level decodes each
// weight row to f32 and dots it with the f32 activations (the reference path). kernels/gemm.hpp
// does the same arithmetic for many rows. The kernels are entries of the level's KernelTable
// (kernels/table.hpp); matvec_plan reads them from there.
//
//   auto plan = kernels::matvec_plan(w_type, nt);             // kernel + activation format
//   kernels::quantize_act_rows(plan.act, x, nt, n, act_buf);   // when plan.act != f32
//   plan.fn(args, r0, r1);                                     // rows [r0, r1), any thread
//   kernels::matvec_rows(w_type, plan, args, r0, r1);          // the same, cache-blocked
//
// A kernel reads every activation row once per weight row: from 2 rows on, the rows' activations
// outgrow L1 (2 rows of 8,192 8-bit values) and then L2 (16 rows of 14,336 floats), and a
// call is bound by reading them again for every weight row. matvec_rows therefore runs the kernel
// on column chunks whose activations fit L1 (kMatvecActBudget bytes), a tile of kMatvecTileRows
// weight rows at a time, summing the chunks' outputs: each weight byte is still read once.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/features.hpp"
#include "quant/act.hpp"
#include "quant/dtype.hpp"

namespace lw::kernels {

using quant::ActFormat;
using quant::DType;

constexpr int kMaxMatvecRows = 16;

struct MatvecArgs {
  int64_t n = 0;              // columns (input features); a multiple of the type's block
  const void* w = nullptr;    // weight row 0
  size_t w_stride = 0;        // bytes between weight rows
  const float* x = nullptr;   // (nt, x_stride) f32 activations
  int64_t x_stride = 0;       // floats between activation rows (0: n)
  const void* act = nullptr;  // (nt rows of act_stride bytes) quantized activations, or null
  size_t act_stride = 0;
  int nt = 1;            // activation rows, 1..kMaxMatvecRows
  float* out = nullptr;  // out[t * out_stride + r]
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
inline MatvecPlan matvec_plan(DType t, int nt) {
  return matvec_plan(t, nt, cpu::level());
}

constexpr size_t kMatvecActBudget = 16 << 10;  // activation bytes of one chunk (half of L1)
constexpr int64_t kMatvecTileRows = 8;         // weight rows per chunk pass (16 for repacked types)

// Rows [r0, r1) of a.out through plan.fn (the kernel of weight type t), cache-blocked as above;
// the same results as plan.fn(a, r0, r1) up to the order of the float additions.
void matvec_rows(DType t, const MatvecPlan& plan, const MatvecArgs& a, int64_t r0, int64_t r1);

// Sets a.x / a.act and their strides for the nt activation rows x (nt, n): quantized (or rounded)
// into buf for plan.act, or for f32 kernels x itself (one row) or a copy. Rows in buf are a cache
// line longer than their data: rows a multiple of 4 KiB apart share L1 sets, and 8 of them (plus the
// weight stream) thrash an 8-way L1 (measured: f16 weights, 8,192 columns, 12 rows 2.5x slower
// than 8 rows per row without the padding).
void prepare_act(const MatvecPlan& plan, const float* x, int nt, int64_t n, std::vector<std::byte>& buf,
                 MatvecArgs& a);

// Quantizes nt rows of n floats (x row stride n) into `out` (nt * act_row_bytes), at the current
// level; the vector paths give the same bytes as the scalar one (quant::ref::quantize_act_row).
void quantize_act_rows(ActFormat f, const float* x, int nt, int64_t n, void* out);

}  // namespace lw::kernels
