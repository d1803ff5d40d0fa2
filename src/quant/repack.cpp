// Repack / unrepack of the row-interleaved types: 4-byte transposes of 16 rows per super-block.
#include "quant/repack.hpp"

#include <cstring>
#include <vector>

#include "quant/blocks.hpp"
#include "util/error.hpp"

namespace lw::quant {

namespace {

// One super-block of 16 rows. kToX16: base blocks b[r] (row r's block, stride bstride bytes) -> x;
// else x -> b[r].
template <bool kToX16>
void move_q4_k(BlockQ4_Kx16& x, char* b, size_t bstride) {
  for (int r = 0; r < kX16Rows; ++r) {
    auto& k = *reinterpret_cast<BlockQ4_K*>(b + r * bstride);
    if constexpr (kToX16) {
      x.d[r] = k.d, x.dmin[r] = k.dmin;
      for (int j = 0; j < 12; ++j) x.scales[j][r] = k.scales[j];
      for (int c = 0; c < 32; ++c) std::memcpy(&x.qs[c][r], k.qs + 4 * c, 4);
    } else {
      k.d = x.d[r], k.dmin = x.dmin[r];
      for (int j = 0; j < 12; ++j) k.scales[j] = x.scales[j][r];
      for (int c = 0; c < 32; ++c) std::memcpy(k.qs + 4 * c, &x.qs[c][r], 4);
    }
  }
}

template <bool kToX16>
void move_q6_k(BlockQ6_Kx16& x, char* b, size_t bstride) {
  for (int r = 0; r < kX16Rows; ++r) {
    auto& k = *reinterpret_cast<BlockQ6_K*>(b + r * bstride);
    if constexpr (kToX16) {
      x.d[r] = k.d;
      for (int s = 0; s < 16; ++s) x.scales[s][r] = k.scales[s];
      for (int c = 0; c < 32; ++c) std::memcpy(&x.ql[c][r], k.ql + 4 * c, 4);
      for (int c = 0; c < 16; ++c) std::memcpy(&x.qh[c][r], k.qh + 4 * c, 4);
    } else {
      k.d = x.d[r];
      for (int s = 0; s < 16; ++s) k.scales[s] = x.scales[s][r];
      for (int c = 0; c < 32; ++c) std::memcpy(k.ql + 4 * c, &x.ql[c][r], 4);
      for (int c = 0; c < 16; ++c) std::memcpy(k.qh + 4 * c, &x.qh[c][r], 4);
    }
  }
}

template <bool kToX16>
void move_q8_0(BlockQ8_0x16& x, char* b, size_t bstride) {
  for (int r = 0; r < kX16Rows; ++r) {
    auto& k = *reinterpret_cast<BlockQ8_0*>(b + r * bstride);
    if constexpr (kToX16) {
      x.d[r] = k.d;
      for (int c = 0; c < 8; ++c) std::memcpy(&x.qs[c][r], k.qs + 4 * c, 4);
    } else {
      k.d = x.d[r];
      for (int c = 0; c < 8; ++c) std::memcpy(k.qs + 4 * c, &x.qs[c][r], 4);
    }
  }
}

template <bool kToX16>
void move_group(DType base, char* xg, char* bg, size_t row_bytes, int64_t nb) {
  if (base == DType::q8_0) {
    for (int64_t i = 0; i < nb; ++i)
      move_q8_0<kToX16>(reinterpret_cast<BlockQ8_0x16*>(xg)[i], bg + i * sizeof(BlockQ8_0), row_bytes);
  } else if (base == DType::q4_k) {
    for (int64_t i = 0; i < nb; ++i)
      move_q4_k<kToX16>(reinterpret_cast<BlockQ4_Kx16*>(xg)[i], bg + i * sizeof(BlockQ4_K), row_bytes);
  } else {
    for (int64_t i = 0; i < nb; ++i)
      move_q6_k<kToX16>(reinterpret_cast<BlockQ6_Kx16*>(xg)[i], bg + i * sizeof(BlockQ6_K), row_bytes);
  }
}

template <bool kToX16>
void move_all(DType base, const void* src, void* dst, int64_t rows, int64_t cols) {
  LW_CHECK(x16_of(base) && rows >= 0 && cols % traits(base).block == 0,
           "repack: {} ({} x {}) has no 16-row interleaved layout", dtype_name(base), rows, cols);
  const size_t rb = dtype_bytes(base, cols), group = rb * kX16Rows;
  const int64_t groups = rows / kX16Rows, tail = rows % kX16Rows;
  if (tail)  // the last rows stay base rows
    std::memcpy(static_cast<char*>(dst) + groups * group, static_cast<const char*>(src) + groups * group,
                tail * rb);
#pragma omp parallel for schedule(static) if (groups > 64)
  for (int64_t g = 0; g < groups; ++g) {
    char* s = const_cast<char*>(static_cast<const char*>(src)) + g * group;
    char* d = static_cast<char*>(dst) + g * group;
    if constexpr (kToX16)
      move_group<true>(base, d, s, rb, cols / traits(base).block);
    else
      move_group<false>(base, s, d, rb, cols / traits(base).block);
  }
}

}  // namespace

void repack_x16(DType base, const void* src, void* dst, int64_t rows, int64_t cols) {
  move_all<true>(base, src, dst, rows, cols);
}

void unrepack_x16(DType x16, const void* src, void* dst, int64_t rows, int64_t cols) {
  LW_CHECK(is_x16(x16), "unrepack: {} is not a repacked type", dtype_name(x16));
  move_all<false>(x16_base(x16), src, dst, rows, cols);
}

void x16_row_to_f32(DType x16, const void* data, int64_t rows, int64_t cols, int64_t r, float* dst) {
  const DType base = x16_base(x16);
  const size_t rb = dtype_bytes(base, cols);
  if (r >= x16_group_rows(rows)) {  // a base row after the groups
    traits(base).to_f32_ref(static_cast<const char*>(data) + r * rb, dst, cols);
    return;
  }
  std::vector<char> group(rb * kX16Rows);
  const int64_t g = r / kX16Rows;
  unrepack_x16(x16, static_cast<const char*>(data) + g * rb * kX16Rows, group.data(), kX16Rows, cols);
  traits(base).to_f32_ref(group.data() + (r % kX16Rows) * rb, dst, cols);
}

}  // namespace lw::quant
