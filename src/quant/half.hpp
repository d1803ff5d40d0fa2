#pragma once
// Scalar f16 (IEEE binary16) and bf16 <-> f32 conversions, round to nearest even. The vector
// row conversions (the f16/bf16 entries of kernels/table.hpp) are checked bit for bit against these.
#include <cstdint>
#include <cstring>

namespace lw::quant {

inline float bf16_to_f32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

}  // namespace lw::quant
