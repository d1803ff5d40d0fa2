// Our quantizers: a round trip no worse than ggml's own quantizers on the same data (bounds in
// tests/fixtures/quant/ggml_rmse.txt), exact on representable inputs, sane on degenerate rows.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "quant_test_util.hpp"

using namespace lw::quant;
using namespace lw::quant::testing;

namespace {

std::map<std::string, std::vector<double>> ggml_bounds() {
  std::map<std::string, std::vector<double>> out;
  auto b = read_fixture("ggml_rmse.txt");
  std::istringstream in(std::string(b.begin(), b.end()));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string name;
    ls >> name;
    double v;
    while (ls >> v) out[name].push_back(v);
  }
  return out;
}

double rmse(const float* a, const float* b, int n) {
  double e = 0;
  for (int i = 0; i < n; ++i) e += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(e / n);
}

}  // namespace

TEST(Quantize, RoundTripIsWithinGgmlsErrorOnEveryRow) {
  const auto x = read_f32("input.f32");
  const auto bounds = ggml_bounds();
  for (DType t : quantized_types()) {
    const std::string n = traits(t).name;
    ASSERT_EQ(bounds.at(n).size(), static_cast<size_t>(kRows));
    std::vector<char> q(dtype_bytes(t, kCols));
    std::vector<float> y(kCols);
    double ours = 0, theirs = 0;
    for (int r = 0; r < kRows; ++r) {
      traits(t).from_f32(x.data() + r * kCols, q.data(), kCols);
      traits(t).to_f32_ref(q.data(), y.data(), kCols);
      const double e = rmse(x.data() + r * kCols, y.data(), kCols);
      // every row: at most 2% above ggml's; all rows together: not above it
      EXPECT_LE(e, bounds.at(n)[r] * 1.02) << n << " row " << r;
      ours += e * e;
      theirs += bounds.at(n)[r] * bounds.at(n)[r];
    }
    EXPECT_LE(std::sqrt(ours), std::sqrt(theirs)) << n;
    RecordProperty(n + "_rmse_ratio", std::to_string(std::sqrt(ours / theirs)));
  }
}

TEST(Quantize, ZerosAndConstantsAndRepresentableValues) {
  for (DType t : quantized_types()) {
    const int n = 256;
    std::vector<char> q(dtype_bytes(t, n));
    std::vector<float> y(n, 1.0f);
    std::vector<float> zeros(n, 0.0f);
    traits(t).from_f32(zeros.data(), q.data(), n);
    traits(t).to_f32_ref(q.data(), y.data(), n);
    for (float v : y) ASSERT_EQ(v, 0.0f) << traits(t).name;
    // a constant row comes back within the type's resolution
    std::vector<float> c(n, 0.37f);
    traits(t).from_f32(c.data(), q.data(), n);
    traits(t).to_f32_ref(q.data(), y.data(), n);
    for (float v : y) ASSERT_NEAR(v, 0.37f, 0.37f * 0.02f) << traits(t).name;
  }
  // q8_0 represents integers up to 127 times a power-of-two scale exactly
  std::vector<float> ints(64);
  for (int i = 0; i < 64; ++i) ints[i] = static_cast<float>((i * 37) % 255 - 127) / 8.0f;
  ints[0] = ints[32] = -127.0f / 8.0f;
  std::vector<char> q(dtype_bytes(DType::q8_0, 64));
  std::vector<float> y(64);
  traits(DType::q8_0).from_f32(ints.data(), q.data(), 64);
  traits(DType::q8_0).to_f32_ref(q.data(), y.data(), 64);
  EXPECT_EQ(y, ints);
}

TEST(Quantize, DecodingOurBlocksWithGgmlLayoutMatchesRoundTrip) {
  // Our encoder and the reference decoder agree on the layout: quantizing a decoded row again
  // gives (nearly) the same values: the decoded values are representable.
  const auto x = randn(4 * 256, 3);
  for (DType t : quantized_types()) {
    std::vector<char> q(dtype_bytes(t, 1024)), q2(q.size());
    std::vector<float> y(1024), y2(1024);
    traits(t).from_f32(x.data(), q.data(), 1024);
    traits(t).to_f32_ref(q.data(), y.data(), 1024);
    traits(t).from_f32(y.data(), q2.data(), 1024);
    traits(t).to_f32_ref(q2.data(), y2.data(), 1024);
    EXPECT_LT(rmse(y.data(), y2.data(), 1024), 0.35 * rmse(x.data(), y.data(), 1024)) << traits(t).name;
  }
}
