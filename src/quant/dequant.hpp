#pragma once
// Fast row decoding for every storage type (prefill panels, embedding rows, conversion), with the
// vector path of the current cpu::level(); the results are bit-identical to the reference decoders
// (quant/dequant_ref.hpp), whose arithmetic the vector code repeats lane by lane.
#include <cstdint>

#include "quant/dtype.hpp"

namespace lw::quant {

// Decodes n elements (a multiple of the type's block size) of type t to f32.
void dequantize_row(DType t, const void* src, float* dst, int64_t n);

namespace detail {
// Vector decoders; return false when the type has none at that level.
bool dequantize_avx2(DType t, const void* src, float* dst, int64_t n);
bool dequantize_avx512(DType t, const void* src, float* dst, int64_t n);
}  // namespace detail

}  // namespace lw::quant
