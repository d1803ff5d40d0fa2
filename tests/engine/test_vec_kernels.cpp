// The vectorised kernels against plain loops (every tail length, a vocabulary-sized row, SwiGLU).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/vec.hpp"

namespace lw::kernels {
namespace {

std::vector<float> random_row(int n, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::uniform_real_distribution<double> u(-30.0, 10.0);
  std::vector<float> x(n);
  for (auto& v : x) v = (float)u(r);
  return x;
}

TEST(VecKernels, MaxAndExpSumMatchPlainLoops) {
  for (int n : {1, 2, 15, 16, 17, 31, 33, 127, 128, 1000, 8192}) {
    std::vector<float> x = random_row(n, 7 + n);
    float want_max = x[0];
    for (float v : x) want_max = std::max(want_max, v);
    ASSERT_EQ(row_max(x.data(), n), want_max) << "n " << n;
    std::vector<float> ref = x, fast = x;
    const float sub = want_max + 0.5f;
    const float s_ref = exp_sub_sum_ref(ref.data(), n, sub);
    const float s_fast = exp_sub_sum(fast.data(), n, sub);
    EXPECT_NEAR(s_fast, s_ref, 2e-6f * s_ref) << "n " << n;
    for (int j = 0; j < n; j++)
      // Relative error grows with |x - sub| (range reduction), ~1e-7 per unit; inputs span 40.
      ASSERT_NEAR(fast[j], ref[j], 5e-6f * ref[j] + 1e-30f) << "n " << n << " j " << j;
  }
  // Very negative inputs underflow to (almost) zero instead of producing NaN or garbage.
  std::vector<float> low = {-1000.0f, -200.0f, 0.0f};
  const float s = exp_sub_sum(low.data(), 3, 0.0f);
  EXPECT_NEAR(s, 1.0f, 1e-6f);
  EXPECT_LT(low[0], 1e-30f);
  EXPECT_LT(low[1], 1e-30f);
}

TEST(VecKernels, DoubleVersionIsExact) {
  std::vector<double> x = {0.0, -1.0, -2.5};
  const double s = exp_sub_sum(x.data(), 3, 0.0);
  EXPECT_DOUBLE_EQ(x[1], std::exp(-1.0));
  EXPECT_DOUBLE_EQ(s, 1.0 + std::exp(-1.0) + std::exp(-2.5));
  EXPECT_EQ(row_max(x.data(), 3), 1.0);
}

TEST(VecKernels, SwiGluMatchesPlainLoops) {
  for (int n : {1, 15, 16, 17, 100, 4099}) {
    auto g = random_row(n, 100 + n), u = random_row(n, 200 + n), d = random_row(n, 300 + n);
    for (auto& v : g) v = v / 3.0f + 3.0f;  // about [-7, 6]
    g[0] = -120.0f;                         // exp(-g) overflows: sigmoid 0, no NaN
    std::vector<float> o1(n), o2(n), dg1(n), dg2(n), du1(n), du2(n);
    swiglu_forward_rows(o1.data(), g.data(), u.data(), n);
    swiglu_forward_rows_ref(o2.data(), g.data(), u.data(), n);
    swiglu_backward_rows(dg1.data(), du1.data(), d.data(), g.data(), u.data(), n);
    swiglu_backward_rows_ref(dg2.data(), du2.data(), d.data(), g.data(), u.data(), n);
    for (int i = 0; i < n; i++) {
      ASSERT_NEAR(o1[i], o2[i], 1e-5f * (1.0f + std::fabs(o2[i]))) << "n " << n << " i " << i;
      ASSERT_NEAR(dg1[i], dg2[i], 1e-5f * (1.0f + std::fabs(dg2[i]))) << "n " << n << " i " << i;
      ASSERT_NEAR(du1[i], du2[i], 1e-5f * (1.0f + std::fabs(du2[i]))) << "n " << n << " i " << i;
    }
    EXPECT_EQ(o1[0], -0.0f * u[0]);
  }
}

}  // namespace
}  // namespace lw::kernels
