// RMSNorm in f32 and f64, the other kernels' f64 instantiations (what TrainModel<double> runs) and
// the in-memory matmul overload, against the naive references (engine/ops_ref.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/config.hpp"
#include "engine/ops.hpp"
#include "engine/ops_ref.hpp"
#include "engine_test_util.hpp"
#include "util/error.hpp"

using namespace lw::engine;

namespace {

std::vector<double> randn_d(size_t n, uint64_t seed, double scale = 1.0) {
  const auto f = lw::engine::testing::randn(n, seed, static_cast<float>(scale));
  std::vector<double> d(f.begin(), f.end());
  for (size_t i = 0; i < d.size(); ++i) d[i] += 1e-3 * std::sin(static_cast<double>(i));  // not f32 values
  return d;
}

double max_rel(const std::vector<double>& a, const std::vector<double>& b) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::fabs(a[i] - b[i]));
    scale = std::max(scale, std::fabs(b[i]));
  }
  return err / std::max(scale, 1e-300);
}

// RMSNorm in both precisions (the sum of squares is double in both).
template <typename F>
void rmsnorm_case(double tol) {
  const int T = 5, C = 70;
  const auto xd = randn_d(T * C, 2), wd = randn_d(C, 3);
  const std::vector<F> x(xd.begin(), xd.end()), w(wd.begin(), wd.end());
  std::vector<F> a(T * C), b(T * C), ra(T), rb(T);  // (T, C), (T)
  rmsnorm_forward(a.data(), ra.data(), x.data(), w.data(), T, C, 1e-5f);
  ref::rmsnorm_forward(b.data(), rb.data(), x.data(), w.data(), T, C, 1e-5f);
  EXPECT_LT(max_rel(std::vector<double>(a.begin(), a.end()), std::vector<double>(b.begin(), b.end())), tol);
  EXPECT_LT(max_rel(std::vector<double>(ra.begin(), ra.end()), std::vector<double>(rb.begin(), rb.end())),
            tol);
}

TEST(OpsF64, RmsnormMatchesReferenceInBothPrecisions) {
  rmsnorm_case<float>(1e-6);
  rmsnorm_case<double>(1e-14);
}

TEST(OpsF64, MatmulMatchesReference) {
  for (int T : {1, 5, 40}) {
    const int IC = 37, OC = 23;
    auto x = randn_d(T * IC, 4), W = randn_d(OC * IC, 5), b = randn_d(OC, 6);
    std::vector<double> a(T * OC), r(T * OC);
    matmul_forward(a.data(), x.data(), W.data(), b.data(), T, IC, OC);
    ref::matmul_forward(r.data(), x.data(), W.data(), b.data(), T, IC, OC);
    EXPECT_LT(max_rel(a, r), 1e-14) << T;
    matmul_forward(a.data(), x.data(), W.data(), static_cast<const double*>(nullptr), T, IC, OC);
    ref::matmul_forward(r.data(), x.data(), W.data(), static_cast<const double*>(nullptr), T, IC, OC);
    EXPECT_LT(max_rel(a, r), 1e-14) << T;
  }
}

TEST(OpsF64, MatmulFloatInMemoryMatchesReference) {
  // The trainer's f32 linear layers: the Tensor path (matrix-vector kernel below 16 rows, sgemm above).
  for (int T : {3, 33}) {
    const int IC = 40, OC = 24;
    auto x = lw::engine::testing::randn(T * IC, 16), W = lw::engine::testing::randn(OC * IC, 17),
         b = lw::engine::testing::randn(OC, 18);
    std::vector<float> a(T * OC), r(T * OC);
    matmul_forward(a.data(), x.data(), W.data(), b.data(), T, IC, OC);
    ref::matmul_forward(r.data(), x.data(), W.data(), b.data(), T, IC, OC);
    for (int i = 0; i < T * OC; ++i) ASSERT_NEAR(a[i], r[i], 1e-4) << T << " " << i;
  }
}

TEST(OpsF64, RopeMatchesReferenceAllModes) {
  for (bool interleaved : {false, true}) {
    for (float factor : {1.0f, 0.5f}) {
      ModelConfig c = lw::engine::testing::tiny_llama();
      c.hd = 16;
      c.partial_rotary_factor = factor;
      c.rope_scaling = {"llama3", 8.0f, 1.0f, 4.0f, 64};
      const auto inv = rope_inv_freq(c);
      const int T = 7, H = 3;
      const std::vector<int32_t> pos = {0, 1, 2, 50, 51, 300, 4000};
      auto x = randn_d(T * H * c.hd, 7);  // (T, H, hd)
      auto y = x, orig = x;
      std::vector<double> cs(T * c.rot_dim() / 2), sn(cs.size());  // (T, rot/2)
      rope_cos_sin(cs.data(), sn.data(), pos.data(), T, inv);
      rope_forward(x.data(), cs.data(), sn.data(), T, H, c.hd, c.rot_dim(), interleaved);
      ref::rope_forward(y.data(), pos.data(), T, H, c.hd, c.rot_dim(), interleaved, inv);
      EXPECT_LT(max_rel(x, y), 1e-14);
      rope_forward(x.data(), cs.data(), sn.data(), T, H, c.hd, c.rot_dim(), interleaved, /*inverse=*/true);
      EXPECT_LT(max_rel(x, orig), 1e-14);
      // The f32 tables are the f64 ones rounded: the same angles.
      std::vector<float> csf(cs.size()), snf(sn.size());
      rope_cos_sin(csf.data(), snf.data(), pos.data(), T, inv);
      for (size_t i = 0; i < cs.size(); ++i) ASSERT_EQ(csf[i], static_cast<float>(cs[i])) << i;
    }
  }
}

TEST(OpsF64, SwigluMatchesReference) {
  auto g = randn_d(3 * 50, 8, 3.0), u = randn_d(3 * 50, 9);
  std::vector<double> a(150), b(150);
  swiglu_forward(a.data(), g.data(), u.data(), 3, 50);
  ref::swiglu_forward(b.data(), g.data(), u.data(), 3, 50);
  EXPECT_LT(max_rel(a, b), 1e-14);
}

TEST(OpsF64, EmbeddingAndResidual) {
  const int V = 9, C = 5;
  auto table = randn_d(V * C, 10);
  const std::vector<int32_t> ids = {3, 0, 8, 3};
  std::vector<double> out(ids.size() * C);
  embedding_forward(out.data(), ids.data(), 4, table.data(), V, C);
  for (int t = 0; t < 4; ++t)
    for (int c = 0; c < C; ++c) ASSERT_EQ(out[t * C + c], table[ids[t] * C + c]);
  const int32_t bad = V;
  EXPECT_THROW(embedding_forward(out.data(), &bad, 1, table.data(), V, C), lw::InputError);
  auto x = out;
  add_inplace(out.data(), x.data(), static_cast<int64_t>(out.size()));
  for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], 2 * x[i]);
}

}  // namespace
