// f16 / bf16 <-> f32 vector conversions: the kernels of engine/simd_kernels.hpp for this CPU's level.
#include "engine/convert_simd.hpp"

#include "cpu/features.hpp"
#include "engine/simd_kernels.hpp"

namespace lw::engine::simd {

bool has_vector_path(DType t) {
  return (t == DType::f16 || t == DType::bf16) && cpu::at_least(cpu::Level::avx2);
}

bool to_f32(DType t, const void* src, float* dst, int64_t n) {
  if (!has_vector_path(t)) return false;
  const auto* s = static_cast<const uint16_t*>(src);
  if (cpu::at_least(cpu::Level::avx512)) avx512::widen(t, s, dst, n);
  else avx2::widen(t, s, dst, n);
  return true;
}

bool from_f32(DType t, const float* src, void* dst, int64_t n) {
  if (!has_vector_path(t)) return false;
  auto* d = static_cast<uint16_t*>(dst);
  if (cpu::at_least(cpu::Level::avx512)) avx512::narrow(t, src, d, n);
  else avx2::narrow(t, src, d, n);
  return true;
}

}  // namespace lw::engine::simd
