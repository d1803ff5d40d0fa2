#pragma once
// Helpers for the engine tests: tiny configs, random data, error measures, temporary paths.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/config.hpp"

namespace lw::engine::testing {

// A temporary path unique to this process (the suite runs each test once per CPU level, in
// parallel processes, so fixed names would collide).
inline std::filesystem::path unique_tmp(const std::string& name) {
  const std::filesystem::path n(name);  // the process id goes before the extension
  return std::filesystem::path(::testing::TempDir()) /
         (n.stem().string() + "_" + std::to_string(::getpid()) + n.extension().string());
}

inline ModelConfig tiny_llama() {
  ModelConfig c;
  c.arch = Arch::llama;
  c.V = 97;
  c.C = 64;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_kv_head = 2;
  c.hd = 16;
  c.ffn = 96;
  c.rms_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  c.max_context = 512;
  return c;
}

// GLM-4 style: biased qkv, half of each head rotated with interleaved pairs, q_dim != C.
inline ModelConfig tiny_glm4() {
  ModelConfig c = tiny_llama();
  c.arch = Arch::glm4;
  c.hd = 20;
  c.partial_rotary_factor = 0.5f;
  c.rope_interleaved = true;
  c.qkv_bias = true;
  return c;
}

inline std::vector<float> randn(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

inline std::vector<int32_t> rand_ids(size_t n, int V, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> u(0, V - 1);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// max |a - b| / (max |b| + tiny): error relative to the scale of the reference.
inline double rel_err(const float* a, const float* b, size_t n) {
  double md = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) {
    md = std::max(md, std::fabs(double(a[i]) - b[i]));
    mb = std::max(mb, std::fabs(double(b[i])));
  }
  return md / (mb + 1e-30);
}
inline double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() ? rel_err(a.data(), b.data(), a.size()) : 1e30;
}

}  // namespace lw::engine::testing
