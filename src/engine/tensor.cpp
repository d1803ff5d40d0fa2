#include "engine/tensor.hpp"

#include <cmath>
#include <cstring>

#include "engine/convert_simd.hpp"
#include "util/error.hpp"

namespace lw::engine {

std::string dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::q8_0: return "q8_0";
  }
  return "?";
}

size_t dtype_bytes(DType t, int64_t n) {
  switch (t) {
    case DType::f32: return static_cast<size_t>(n) * 4;
    case DType::f16:
    case DType::bf16: return static_cast<size_t>(n) * 2;
    case DType::q8_0: return static_cast<size_t>(n / 32) * 34;
  }
  return 0;
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return shape.empty() ? 0 : n;
}

Tensor Tensor::row_slice(int64_t r0, int64_t n) const {
  LW_CHECK(shape.size() == 2 && r0 >= 0 && r0 + n <= shape[0], "row_slice out of range");
  Tensor t = *this;
  t.shape[0] = n;
  t.data = static_cast<char*>(data) + dtype_bytes(dtype, r0 * shape[1]);
  return t;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  uint32_t u;
  if (exp == 0) {
    if (man == 0) {
      u = sign;
    } else {  // subnormal
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while ((man & 0x400) == 0);
      u = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (man & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    u = sign | 0x7f800000u | man << 13;
  } else {
    u = sign | (exp + 112) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  int32_t exp = static_cast<int32_t>((u >> 23) & 0xff) - 127 + 15;
  uint32_t man = u & 0x7fffff;
  if (((u >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (man ? 0x200 : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    man |= 0x800000;
    uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t half = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | static_cast<uint32_t>(exp) << 10 | man >> 13;
  uint32_t rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half;
  return static_cast<uint16_t>(half);
}

void to_f32(DType t, const void* src, float* dst, int64_t n) {
  if (simd::to_f32(t, src, dst, n)) return;
  switch (t) {
    case DType::f32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case DType::bf16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case DType::f16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case DType::q8_0: {
      const auto* s = static_cast<const uint8_t*>(src);
      for (int64_t b = 0; b < n / 32; ++b) {
        uint16_t d16;
        std::memcpy(&d16, s + b * 34, 2);
        float d = f16_to_f32(d16);
        const auto* q = reinterpret_cast<const int8_t*>(s + b * 34 + 2);
        for (int j = 0; j < 32; ++j) dst[b * 32 + j] = d * q[j];
      }
      return;
    }
  }
}

void from_f32(DType t, const float* src, void* dst, int64_t n) {
  if (simd::from_f32(t, src, dst, n)) return;
  switch (t) {
    case DType::f32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case DType::bf16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::f16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(src[i]);
      return;
    }
    case DType::q8_0: {
      LW_CHECK(n % 32 == 0, "q8_0 needs a multiple of 32 elements, got {}", n);
      auto* d = static_cast<uint8_t*>(dst);
      for (int64_t b = 0; b < n / 32; ++b) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(src[b * 32 + j]));
        float scale = amax / 127.0f;
        uint16_t s16 = f32_to_f16(scale);
        std::memcpy(d + b * 34, &s16, 2);
        float inv = scale > 0 ? 1.0f / scale : 0.0f;
        auto* q = reinterpret_cast<int8_t*>(d + b * 34 + 2);
        for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(std::lround(src[b * 32 + j] * inv));
      }
      return;
    }
  }
}

}  // namespace lw::engine
