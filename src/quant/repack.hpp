#pragma once
// Repacked weights: 16 rows interleaved (DType q4_k_x16, q6_k_x16, q8_0_x16; layouts in quant/blocks.hpp) so
// the multi-row matrix-vector kernels put the 16 output rows in the lanes of one vector and apply
// each sub-block's scale per lane (kernels/matvec_x16_avx512.cpp, kernels/matvec_x16_avx2.cpp). A matrix
// (rows, cols) keeps its size and its row stride: the group of rows 16g..16g+15 occupies the bytes of those
// 16 base rows, super-block b of the group at 16 * b * block_bytes; the last rows % 16 rows (a vocabulary of
// 50,257) stay base rows after the groups. Inference only: a repacked tensor has no row decode
// (to_f32 fails); unrepack it (or one group) to read rows.
//
//   quant::repack_x16(DType::q4_k, src, dst, rows, cols);     // dst: q4_k_x16
//   quant::unrepack_x16(DType::q4_k_x16, dst, back, rows, cols);  // back == src, byte for byte
#include <cstdint>

#include "quant/dtype.hpp"

namespace lw::quant {

constexpr int kX16Rows = 16;
// Rows in whole groups (the rest are base rows).
inline int64_t x16_group_rows(int64_t rows) {
  return rows / kX16Rows * kX16Rows;
}

// Base-type rows (cols a multiple of the block) -> the repacked layout of x16_of(base).
void repack_x16(DType base, const void* src, void* dst, int64_t rows, int64_t cols);
// The inverse: a repacked matrix back to base-type rows (src and dst must not overlap).
void unrepack_x16(DType x16, const void* src, void* dst, int64_t rows, int64_t cols);
// Row r of a repacked matrix (rows, cols) (data: row 0) decoded to f32 (cols values).
void x16_row_to_f32(DType x16, const void* data, int64_t rows, int64_t cols, int64_t r, float* dst);

}  // namespace lw::quant
