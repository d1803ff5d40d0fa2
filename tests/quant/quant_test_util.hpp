#pragma once
// Helpers of the quant tests: the committed ggml vectors and random data.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "quant/dtype.hpp"

namespace lw::quant::testing {

inline std::vector<char> read_fixture(const std::string& name) {
  std::ifstream f(std::string(LW_TEST_DATA_DIR) + "/quant/" + name, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(f), {});
}

inline std::vector<float> read_f32(const std::string& name) {
  auto b = read_fixture(name);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

constexpr int kRows = 10, kCols = 512;  // the shape of input.f32

inline std::vector<float> randn(size_t n, uint32_t seed, float sd = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// The quantized weight types (every type with a block format).
inline std::vector<DType> quantized_types() {
  std::vector<DType> out;
  for (int i = 0; i < kNumDTypes; ++i)
    if (traits(static_cast<DType>(i)).quantized) out.push_back(static_cast<DType>(i));
  return out;
}

}  // namespace lw::quant::testing
