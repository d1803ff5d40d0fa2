// AVX2 row decoders (to be filled type by type; false = use the reference).
#include "quant/dequant.hpp"

namespace lw::quant::detail {

bool dequantize_avx2(DType, const void*, float*, int64_t) { return false; }

}  // namespace lw::quant::detail
