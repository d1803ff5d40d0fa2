#include "data/synthetic.hpp"

#include <algorithm>
#include <cmath>

namespace lw::data {

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

}  // namespace

std::vector<uint32_t> longwriter_length_mix(size_t n, int64_t max_len, uint64_t seed) {
  Rng rng{seed};
  std::vector<uint32_t> out(n);
  const double L = static_cast<double>(max_len);
  auto log_uniform = [&](double lo, double hi) { return std::exp(std::log(lo) + rng.uniform() * (std::log(hi) - std::log(lo))); };
  for (auto& len : out) {
    double u = rng.uniform(), v;
    if (u < 0.55) {
      v = log_uniform(64, std::min(1024.0, L));
    } else if (u < 0.90) {
      v = 1024 + rng.uniform() * 3072;
    } else {
      v = log_uniform(4096, L);
    }
    len = static_cast<uint32_t>(std::clamp(v, 1.0, L));
  }
  return out;
}

}  // namespace lw::data
