#pragma once
// Non-owning views of weight tensors in the dtypes the engine reads. Weights stay in their storage
// dtype in memory (bf16 stays bf16, q4_k stays q4_k); kernels decode them on the fly. The dtypes
// and their block layouts are quant/dtype.hpp's one table.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quant/dtype.hpp"
#include "quant/half.hpp"

namespace lw::engine {

using quant::DType;
using quant::dtype_bytes;
using quant::dtype_name;
using quant::bf16_to_f32;
using quant::f32_to_bf16;
using quant::f16_to_f32;
using quant::f32_to_f16;

// A row-major tensor view: shape {rows, cols} for matrices (out_features, in_features), {n} for
// vectors. `data` points into an mmap, a loaded buffer, or the trainer's f32 master weights.
// Quantized matrices are blocked along cols (cols % block == 0).
struct Tensor {
  DType dtype = DType::f32;
  void* data = nullptr;
  std::vector<int64_t> shape;

  int64_t numel() const;
  int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
  int64_t cols() const { return shape.size() < 2 ? 1 : shape[1]; }
  size_t nbytes() const { return dtype_bytes(dtype, numel()); }
  size_t row_bytes() const { return dtype_bytes(dtype, cols()); }
  bool empty() const { return data == nullptr; }
  const float* f32() const { return static_cast<const float*>(data); }
  float* f32() { return static_cast<float*>(data); }
  const void* row(int64_t r) const { return static_cast<const char*>(data) + static_cast<size_t>(r) * row_bytes(); }
  // Rows [r0, r0 + n) of a matrix as a view (GLM's fused gate_up and qkv projections).
  Tensor row_slice(int64_t r0, int64_t n) const;

  static Tensor of(float* p, std::vector<int64_t> shape) { return {DType::f32, p, std::move(shape)}; }
};

// Converts n elements (n a multiple of the block size) of any storage dtype to f32, with the
// fastest path of this CPU (results equal the reference decoder's).
void to_f32(DType t, const void* src, float* dst, int64_t n);
// Converts f32 to a storage dtype (quantized types: n a multiple of the block size).
void from_f32(DType t, const float* src, void* dst, int64_t n);

}  // namespace lw::engine
