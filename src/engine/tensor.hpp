#pragma once
// Non-owning views of weight tensors in the dtypes the engine reads. Weights stay in their storage
// dtype in memory (bf16 stays bf16); kernels convert to f32 on the fly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lw::engine {

// Storage dtypes of weights. q8_0: GGUF blocks of 32 int8 with one f16 scale (34 bytes/block),
// along the last (input) dimension.
enum class DType { f32, f16, bf16, q8_0 };

std::string dtype_name(DType t);  // "f32", "f16", "bf16", "q8_0"
// Bytes of `n` elements (n a multiple of 32 for q8_0).
size_t dtype_bytes(DType t, int64_t n);

// A row-major tensor view: shape {rows, cols} for matrices (out_features, in_features), {n} for
// vectors. `data` points into an mmap, a loaded buffer, or the trainer's f32 master weights.
struct Tensor {
  DType dtype = DType::f32;
  void* data = nullptr;
  std::vector<int64_t> shape;

  int64_t numel() const;
  int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
  int64_t cols() const { return shape.size() < 2 ? 1 : shape[1]; }
  size_t nbytes() const { return dtype_bytes(dtype, numel()); }
  bool empty() const { return data == nullptr; }
  const float* f32() const { return static_cast<const float*>(data); }
  float* f32() { return static_cast<float*>(data); }
  // Rows [r0, r0 + n) of a matrix as a view (used to split GLM's fused gate_up projection).
  Tensor row_slice(int64_t r0, int64_t n) const;

  static Tensor of(float* p, std::vector<int64_t> shape) { return {DType::f32, p, std::move(shape)}; }
};

// bf16 <-> f32 (round to nearest even) and f16 <-> f32 conversions.
inline float bf16_to_f32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// Converts n elements (n a multiple of 32 for q8_0) of any storage dtype to f32.
void to_f32(DType t, const void* src, float* dst, int64_t n);
// Converts f32 to a storage dtype (q8_0: n a multiple of 32).
void from_f32(DType t, const float* src, void* dst, int64_t n);

}  // namespace lw::engine
