#include "engine/tensor.hpp"

#include "kernels/table.hpp"
#include "util/error.hpp"

namespace lw::engine {

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return shape.empty() ? 0 : n;
}

Tensor Tensor::row_slice(int64_t r0, int64_t n) const {
  LW_CHECK(shape.size() == 2 && r0 >= 0 && r0 + n <= shape[0], "row_slice out of range");
  LW_CHECK(!quant::is_x16(dtype) || (r0 % 16 == 0 && (n % 16 == 0 || r0 + n == shape[0])),
           "row_slice of a repacked {} matrix: rows [{}, {}) are not whole groups of 16", dtype_name(dtype),
           r0, r0 + n);
  Tensor t = *this;
  t.shape[0] = n;
  t.data = static_cast<char*>(data) + static_cast<size_t>(r0) * row_bytes();
  return t;
}

void to_f32(DType t, const void* src, float* dst, int64_t n) {
  kernels::decode_row(t, src, dst, n);
}

void from_f32(DType t, const float* src, void* dst, int64_t n) {
  const auto& tr = quant::traits(t);
  LW_CHECK(n % tr.block == 0, "{} needs a multiple of {} elements, got {}", tr.name, tr.block, n);
  kernels::encode_row(t, src, dst, n);
}

}  // namespace lw::engine
