// The f16 / bf16 row conversions of the level's kernel table (kernels/table.hpp, used by to_f32 /
// from_f32: vector code from avx2 on) against the scalar ones in tensor.hpp, bit for bit: every
// 16-bit pattern widened, and f32 values that hit every rounding case (ties to even, subnormals,
// overflow to infinity, NaN). Registered per level (LEVELS), so every level's entries run.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/tensor.hpp"
#include "kernels/table.hpp"

using namespace lw::engine;

namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// All 65,536 patterns, in a buffer of odd length so the scalar tail runs too.
std::vector<uint16_t> all_halves() {
  std::vector<uint16_t> h(65536 + 7);
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint16_t>(i);
  return h;
}

// f32 inputs for narrowing: random bit patterns, the exact midpoints between neighbouring 16-bit
// values (ties), and values around the f16 subnormal and overflow limits.
std::vector<float> narrowing_inputs(DType t) {
  std::vector<float> x;
  std::mt19937 rng(11);
  for (int i = 0; i < 100000; ++i) x.push_back(from_bits(rng()));
  for (uint32_t h = 0; h < 65535; ++h) {
    if (t == DType::bf16) {
      x.push_back(from_bits(h << 16 | 0x8000u));  // halfway to the next bf16
    } else {
      const float a = f16_to_f32(static_cast<uint16_t>(h)), b = f16_to_f32(static_cast<uint16_t>(h + 1));
      if (std::isfinite(a) && std::isfinite(b)) x.push_back(static_cast<float>((double(a) + b) / 2));
    }
  }
  for (float f : {65504.0f, 65519.0f, 65520.0f, 1e6f, 6.1e-5f, 5.96e-8f, 2.98e-8f, 2.9e-8f, 1e-10f, 0.0f, -0.0f,
                  INFINITY, -INFINITY, NAN})
    x.push_back(f), x.push_back(-f);
  x.resize(x.size() / 16 * 16 + 5);  // a scalar tail
  return x;
}

}  // namespace

TEST(Convert, WideningEqualsTheScalarConversionForEveryPattern) {
  for (DType t : {DType::f16, DType::bf16}) {
    auto h = all_halves();
    std::vector<float> got(h.size());
    lw::kernels::decode_row(t, h.data(), got.data(), static_cast<int64_t>(h.size()));
    for (size_t i = 0; i < h.size(); ++i) {
      const float want = t == DType::f16 ? f16_to_f32(h[i]) : bf16_to_f32(h[i]);
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(got[i])) << dtype_name(t) << " pattern " << h[i];
      } else {
        ASSERT_EQ(bits(got[i]), bits(want)) << dtype_name(t) << " pattern " << h[i];
      }
    }
  }
}

TEST(Convert, NarrowingRoundsLikeTheScalarConversion) {
  for (DType t : {DType::f16, DType::bf16}) {
    auto x = narrowing_inputs(t);
    std::vector<uint16_t> got(x.size());
    lw::kernels::encode_row(t, x.data(), got.data(), static_cast<int64_t>(x.size()));
    int ties = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const uint16_t want = t == DType::f16 ? f32_to_f16(x[i]) : f32_to_bf16(x[i]);
      if (std::isnan(x[i])) {
        const float back = t == DType::f16 ? f16_to_f32(got[i]) : bf16_to_f32(got[i]);
        ASSERT_TRUE(std::isnan(back)) << dtype_name(t) << " input " << x[i];
        continue;
      }
      ASSERT_EQ(got[i], want) << dtype_name(t) << " input " << x[i] << " (bits " << std::hex << bits(x[i]) << ")";
      ties += t == DType::bf16 && (bits(x[i]) & 0xffff) == 0x8000;
    }
    if (t == DType::bf16) {
      EXPECT_GT(ties, 60000);  // the tie cases really were there
    }
  }
}

TEST(Convert, ToF32AndFromF32UseTheVectorPathTransparently) {
  // Whatever the CPU, the public conversions round trip 16-bit values exactly.
  for (DType t : {DType::f16, DType::bf16}) {
    auto h = all_halves();
    std::vector<float> f(h.size());
    to_f32(t, h.data(), f.data(), static_cast<int64_t>(h.size()));
    std::vector<uint16_t> back(h.size());
    from_f32(t, f.data(), back.data(), static_cast<int64_t>(h.size()));
    for (size_t i = 0; i < h.size(); ++i)
      if (!std::isnan(f[i])) {
        ASSERT_EQ(back[i], h[i]) << dtype_name(t) << " pattern " << h[i];
      }
  }
}
