#pragma once
// Vector paths of to_f32 / from_f32 (tensor.hpp) for f16 and bf16, at cpu level avx2 (8 at a time,
// F16C for f16) and avx512 (16 at a time). The scalar conversions of quant/half.hpp are their
// reference (tests/engine/test_convert.cpp checks every f16 and bf16 bit pattern at every level).
#include <cstdint>

#include "engine/tensor.hpp"

namespace lw::engine::simd {

// Converts n elements and returns true when this CPU's level has a vector path for dtype t;
// returns false (and does nothing) otherwise.
bool to_f32(DType t, const void* src, float* dst, int64_t n);
bool from_f32(DType t, const float* src, void* dst, int64_t n);

// The same test without converting, for tests and benchmarks.
bool has_vector_path(DType t);

}  // namespace lw::engine::simd
