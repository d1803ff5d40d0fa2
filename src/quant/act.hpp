#pragma once
// The activation formats of the integer and bf16 dot products (ActFormat, quant/dtype.hpp; blocks in
// quant/blocks.hpp): their row sizes and the scalar reference of quantizing a row and of a dot
// product. The vector quantizers live in the kernel layer (kernels/matvec.hpp), tested against these.
#include <cstddef>
#include <cstdint>

#include "quant/dtype.hpp"

namespace lw::quant {

// Bytes of one activation row of n elements in format f.
size_t act_row_bytes(ActFormat f, int64_t n);

namespace ref {
// The scalar activation quantizer: d = amax / 127, q = nearbyint(x * (127 / amax)).
void quantize_act_row(ActFormat f, const float* x, int64_t n, void* out);
// The exact value the kernels compute for one weight row and one activation row in format f:
// dequantized weights times dequantized activations, summed in double.
double dot_act(DType t, ActFormat f, const void* w_row, const void* act_row, int64_t n);
}  // namespace ref

}  // namespace lw::quant
