#pragma once
// The engine's vector kernels, one set per instruction set (simd_avx512.cpp, simd_avx2.cpp), both
// compiled from simd_kernels.inc; callers pick the namespace from cpu::level(). Semantics:
//   widen / narrow: f16 or bf16 <-> f32, bit-identical to the scalar conversions.
//   attend_tile: attention.cpp's tiled prefill kernel for the nh query heads of one KV head
//     (hd % W == 0, hd <= 128; W = 16 or 8 lanes).
//   decode_group: engine/attention_decode.hpp's attend_decode_group (hd 32, 64 or 128).
#include <cstdint>

#include "engine/tensor.hpp"

#define LW_ENGINE_SIMD_DECLS                                                                                     \
  void widen(DType t, const uint16_t* s, float* d, int64_t n);                                                 \
  void narrow(DType t, const float* s, uint16_t* d, int64_t n);                                                \
  void attend_tile(DType kv_dtype, const float* q, int64_t q_stride, const void* k, const void* v,             \
                   int64_t kv_stride, int hd, float scale, int nq, int first_pos, float* out, float* lse,      \
                   int64_t lse_stride, int nh, float* kt, float* s, float* acc, float* m, float* l);           \
  void decode_group(const float* q, const void* k, const void* v, DType kv_dtype, int64_t kv_stride, int hd,  \
                    int group, float scale, int Tk, float* out, float* lse, float* scores);

namespace lw::engine::avx512 {
LW_ENGINE_SIMD_DECLS
}  // namespace lw::engine::avx512

namespace lw::engine::avx2 {
LW_ENGINE_SIMD_DECLS
}  // namespace lw::engine::avx2

#undef LW_ENGINE_SIMD_DECLS
