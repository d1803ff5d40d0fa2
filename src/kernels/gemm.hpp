#pragma once
// Matrix-matrix products for prefill: out (T, OC) = x (T, IC) · W^T (+ bias) for many rows T, with
// the same arithmetic per output as the matrix-vector kernels (kernels/matvec.hpp), so a prompt and
// its token-by-token decode agree:
//   quantized W: x quantized once to 8 bits (the type's ActQ8 format); W unpacked a panel of rows
//     at a time into bytes u with per-sub-block scale and offset (w = scale * u - offset) laid out
//     row-interleaved, so one vector instruction multiplies a broadcast group of 4 activations with
//     the same 4 columns of 16 (AVX-512 VNNI vpdpbusd) or 8 (AVX2 vpmaddubsw) weight rows;
//   bf16 W at avx512_bf16: x rounded to bf16, W pairs interleaved the same way, vdpbf16ps.
// Other (type, level) pairs have no GEMM here (a null KernelTable entry): the caller widens W to
// f32 and uses BLAS sgemm.
#include <cstddef>
#include <cstdint>

#include "cpu/features.hpp"
#include "quant/dtype.hpp"

namespace lw::kernels {

using quant::DType;

struct GemmArgs {
  int64_t OC = 0, IC = 0;  // W (OC, IC), IC a multiple of the type's block
  const void* w = nullptr;
  size_t w_stride = 0;       // bytes between weight rows
  const float* x = nullptr;  // (T, IC)
  int T = 0;
  float* out = nullptr;  // (T, out_stride), columns [0, OC) written
  int64_t out_stride = 0;
  const float* bias = nullptr;  // (OC) or null
};

// A GEMM kernel (OpenMP threads over panels of weight rows); false (nothing written) when it cannot
// take these arguments (bf16 with an odd IC).
using GemmFn = bool (*)(const GemmArgs& a);

// Whether type t has a GEMM at `level`.
bool gemm_supported(DType t, cpu::Level level);
inline bool gemm_supported(DType t) {
  return gemm_supported(t, cpu::level());
}
// Runs the current level's GEMM of type t. False (nothing written) when there is none or it cannot
// take these arguments: the caller uses BLAS.
bool gemm(DType t, const GemmArgs& a);

}  // namespace lw::kernels
