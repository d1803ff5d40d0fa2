#pragma once
// Vector paths of to_f32 / from_f32 (tensor.hpp) for f16 and bf16: AVX-512 (16 at a time) or, for
// f16 on AVX2 machines, F16C (8 at a time). The scalar conversions in tensor.cpp are their
// reference (tests/engine/test_tensor.cpp checks every f16 and bf16 bit pattern).
#include <cstdint>

#include "engine/tensor.hpp"

namespace lw::engine::simd {

// Converts n elements and returns true when this CPU has a vector path for dtype t; returns false
// (and does nothing) otherwise.
bool to_f32(DType t, const void* src, float* dst, int64_t n);
bool from_f32(DType t, const float* src, void* dst, int64_t n);

// The same tests without converting, for tests and benchmarks.
bool has_vector_path(DType t);

}  // namespace lw::engine::simd
