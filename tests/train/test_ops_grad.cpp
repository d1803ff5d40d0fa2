// Every backward op against finite differences of the forward it inverts (the engine's kernels,
// engine/ops.hpp, in double precision), and the trainer's attention against the naive reference.
#include <gtest/gtest.h>

#include "engine/config.hpp"
#include "engine/ops.hpp"
#include "engine/ops_ref.hpp"
#include "grad_check.hpp"
#include "tiny_model.hpp"
#include "train/attention.hpp"
#include "train/cross_entropy.hpp"
#include "train/ops.hpp"

namespace lw::train {
namespace {

namespace ops = engine;
using testing::check_grad;
using testing::dot;
using testing::randn;

TEST(OpsGrad, Embedding) {
  const int T = 6, C = 5, V = 7;
  std::vector<int32_t> tok = {1, 3, 1, 6, 0, 3};  // repeats accumulate
  auto wte = randn(V * C, 1);
  auto R = randn(T * C, 2);
  std::vector<double> out(T * C);
  auto loss = [&] {
    ops::embedding_forward(out.data(), tok.data(), T, wte.data(), V, C);
    return dot(out, R);
  };
  std::vector<double> dwte(V * C, 0.0);
  embedding_backward(dwte.data(), R.data(), tok.data(), T, C);
  check_grad("dwte", wte, dwte, loss);
}

TEST(OpsGrad, RmsNorm) {
  const int T = 4, C = 6;
  auto x = randn(T * C, 3), w = randn(C, 4), R = randn(T * C, 5);
  std::vector<double> out(T * C), rstd(T);
  auto loss = [&] {
    ops::rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), T, C, 1e-5f);
    return dot(out, R);
  };
  loss();
  std::vector<double> dx(T * C, 0.0), dw(C, 0.0);
  rmsnorm_backward(dx.data(), dw.data(), R.data(), x.data(), w.data(), rstd.data(), T, C);
  check_grad("dx", x, dx, loss);
  check_grad("dw", w, dw, loss);
}

TEST(OpsGrad, LinearMatchesReferenceAndFiniteDifferences) {
  const int T = 5, IC = 7, OC = 4;
  auto x = randn(T * IC, 6), W = randn(OC * IC, 7), b = randn(OC, 8), R = randn(T * OC, 9);
  std::vector<double> out(T * OC), ref(T * OC);
  ops::matmul_forward(out.data(), x.data(), W.data(), b.data(), T, IC, OC);
  engine::ref::matmul_forward(ref.data(), x.data(), W.data(), b.data(), T, IC, OC);
  for (int i = 0; i < T * OC; i++) EXPECT_NEAR(out[i], ref[i], 1e-12);
  auto loss = [&] {
    ops::matmul_forward(out.data(), x.data(), W.data(), b.data(), T, IC, OC);
    return dot(out, R);
  };
  std::vector<double> dx(T * IC, 0.0), dW(OC * IC, 0.0), db(OC, 0.0);
  linear_backward(dx.data(), dW.data(), db.data(), R.data(), x.data(), W.data(), T, IC, OC, false);
  check_grad("dx", x, dx, loss);
  check_grad("dW", W, dW, loss);
  check_grad("db", b, db, loss);
}

void rope_case(const char* name, const std::vector<float>& inv_freq, int rot_dim, bool interleaved) {
  SCOPED_TRACE(name);
  const int T = 7, n_head = 2, hd = 8;
  std::vector<int32_t> pos = positions_from_cu({0, 4, 7});
  std::vector<double> cs(T * rot_dim / 2), sn(T * rot_dim / 2);  // (T, rot/2)
  ops::rope_cos_sin(cs.data(), sn.data(), pos.data(), T, inv_freq);
  auto x = randn(T * n_head * hd, 10), R = randn(T * n_head * hd, 11);  // (T, n_head, hd)
  auto rope = [&](std::vector<double>& y, bool inverse) {
    ops::rope_forward(y.data(), cs.data(), sn.data(), T, n_head, hd, rot_dim, interleaved, inverse);
  };
  auto loss = [&] {
    std::vector<double> y = x;
    rope(y, false);
    return dot(y, R);
  };
  std::vector<double> dx = R;
  rope(dx, /*inverse=*/true);  // the backward
  check_grad("dx", x, dx, loss);
  // A rotation keeps norms, and position 0 is the identity.
  std::vector<double> y = x;
  rope(y, false);
  for (int c = 0; c < n_head * hd; c++) EXPECT_DOUBLE_EQ(y[c], x[c]);
  // Dims past rot_dim pass through.
  for (int t = 0; t < T; t++)
    for (int c = rot_dim; c < hd; c++) EXPECT_DOUBLE_EQ(y[t * n_head * hd + c], x[t * n_head * hd + c]);
  // Position t + 4 in the first sequence differs from position 0 of the second: positions restart.
  EXPECT_NE(y[1 * n_head * hd + 0], x[1 * n_head * hd + 0]);
}

engine::ModelConfig rope_cfg(int hd, float partial, const std::string& scaling) {
  engine::ModelConfig c = testing::tiny_llama();  // only the rotary fields matter here
  c.hd = hd;
  c.partial_rotary_factor = partial;
  c.rope_theta = 500000.0f;
  if (!scaling.empty()) {
    c.rope_scaling.type = scaling;
    c.rope_scaling.factor = 8.0f;
    c.rope_scaling.original_max_position_embeddings = 16;
  }
  return c;
}

TEST(OpsGrad, RopeStandard) {
  auto c = rope_cfg(8, 1.0f, "");
  rope_case("standard", engine::rope_inv_freq(c), c.rot_dim(), false);
}

TEST(OpsGrad, RopeLlama3Scaling) {
  auto c = rope_cfg(8, 1.0f, "llama3");
  auto plain = engine::rope_inv_freq(rope_cfg(8, 1.0f, ""));
  auto scaled = engine::rope_inv_freq(c);
  EXPECT_NE(plain, scaled);  // the scaling changes some frequencies
  rope_case("llama3", scaled, c.rot_dim(), false);
}

TEST(OpsGrad, RopeGlmPartialInterleaved) {
  auto c = rope_cfg(8, 0.5f, "");
  ASSERT_EQ(c.rot_dim(), 4);
  rope_case("glm", engine::rope_inv_freq(c), c.rot_dim(), true);
}

TEST(OpsGrad, SwiGlu) {
  const int n = 20;
  auto g = randn(n, 12, 2.0), u = randn(n, 13), R = randn(n, 14);
  std::vector<double> out(n);
  auto loss = [&] {
    ops::swiglu_forward(out.data(), g.data(), u.data(), 1, n);
    return dot(out, R);
  };
  std::vector<double> dg(n), du(n);
  swiglu_backward(dg.data(), du.data(), R.data(), g.data(), u.data(), n);
  check_grad("dgate", g, dg, loss);
  check_grad("dup", u, du, loss);
}

// The trainer's attention (out and the (T, n_head) log-sum-exp) against engine::ref::attention_forward.
template <typename F>
void expect_attention_matches_reference(const AttnDims& d, const std::vector<int32_t>& cu,
                                        const std::vector<F>& q, const std::vector<F>& k,
                                        const std::vector<F>& v, double tol) {
  const int T = cu.back();
  std::vector<F> out(q.size()), ref(q.size()), lse((size_t)T * d.n_head), lse_ref(lse.size());
  attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), cu, d);
  engine::ref::attention_forward(ref.data(), q.data(), k.data(), v.data(), cu.data(), (int)cu.size() - 1, d,
                                 lse_ref.data());
  for (size_t i = 0; i < out.size(); i++) ASSERT_NEAR(out[i], ref[i], tol) << i;
  for (size_t i = 0; i < lse.size(); i++) ASSERT_NEAR(lse[i], lse_ref[i], tol) << "lse " << i;
}

// Attention forward (out, lse) against the reference, and its backward against finite differences.
void attention_case(const AttnDims& d, const std::vector<int32_t>& cu, uint64_t seed, int max_checks) {
  const int T = cu.back();
  auto q = randn(T * d.q_dim(), seed), k = randn(T * d.kv_dim(), seed + 1),
       v = randn(T * d.kv_dim(), seed + 2);
  auto R = randn(T * d.q_dim(), seed + 3);  // (T, n_head, hd)
  expect_attention_matches_reference(d, cu, q, k, v, 1e-12);
  std::vector<double> out(T * d.q_dim()), lse(T * d.n_head);
  auto loss = [&] {
    attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), cu, d);
    return dot(out, R);
  };
  loss();
  std::vector<double> dq(q.size()), dk(k.size()), dv(v.size());
  attention_backward(dq.data(), dk.data(), dv.data(), R.data(), q.data(), k.data(), v.data(), out.data(),
                     lse.data(), cu, d);
  check_grad("dq", q, dq, loss, max_checks);
  check_grad("dk", k, dk, loss, max_checks);
  check_grad("dv", v, dv, loss, max_checks);
}

// Three sequences of different lengths, GQA (4 query heads over 2 KV heads).
TEST(OpsGrad, VarlenAttentionThreeSequences) {
  attention_case(AttnDims::causal(4, 2, 4), {0, 5, 14, 17}, 20, 80);
}

// Sequences longer than one query block exercise the blocked path.
TEST(OpsGrad, VarlenAttentionAcrossBlocks) {
  attention_case(AttnDims::causal(2, 1, 8), {0, kBlockQ + 37, kBlockQ + 40, 2 * kBlockQ + 45}, 30, 25);
}

TEST(OpsGrad, AttentionFloatMatchesReference) {
  const AttnDims d = AttnDims::causal(6, 2, 16);
  const std::vector<int32_t> cu = {0, 150, 151, 300};
  const int T = cu.back();
  auto qd = randn(T * d.q_dim(), 40), kd = randn(T * d.kv_dim(), 41), vd = randn(T * d.kv_dim(), 42);
  std::vector<float> q(qd.begin(), qd.end()), k(kd.begin(), kd.end()), v(vd.begin(), vd.end());
  expect_attention_matches_reference(d, cu, q, k, v, 2e-5);
}

TEST(OpsGrad, FusedCrossEntropy) {
  // More rows than one chunk, some without targets, varied weights.
  const int T = kCeChunk + 45, C = 6, V = 11;
  auto h = randn(T * C, 50), W = randn(V * C, 51);
  std::vector<int32_t> y(T);
  std::vector<double> w(T);
  Rng r(52);
  for (int t = 0; t < T; t++) {
    y[t] = t % 7 == 3 ? -1 : (int32_t)r.below(V);
    w[t] = y[t] < 0 ? 0.0 : (t % 5 == 0 ? 0.0 : 0.1 + r.uniform());
  }
  std::vector<double> dh(T * C), dW(V * C, 0.0), nll(T), dh_ref(T * C), dW_ref(V * C, 0.0), nll_ref(T);
  CrossEntropyArgs<double> a{h.data(), W.data(), y.data(),  w.data(),  T,
                             C,        V,        dh.data(), dW.data(), nll.data()};
  double loss = cross_entropy_fused(a);
  CrossEntropyArgs<double> b = a;
  b.dh = dh_ref.data();
  b.dW = dW_ref.data();
  b.token_nll = nll_ref.data();
  double loss_ref = cross_entropy_ref(b);
  EXPECT_NEAR(loss, loss_ref, 1e-10);
  for (int i = 0; i < T * C; i++) ASSERT_NEAR(dh[i], dh_ref[i], 1e-12);
  for (int i = 0; i < V * C; i++) ASSERT_NEAR(dW[i], dW_ref[i], 1e-10);
  for (int t = 0; t < T; t++) ASSERT_NEAR(nll[t], nll_ref[t], 1e-12);
  // Finite differences on a smaller problem.
  const int T2 = 9;
  std::vector<double> h2(h.begin(), h.begin() + T2 * C);
  auto loss2 = [&] {
    CrossEntropyArgs<double> c{h2.data(), W.data(), y.data(), w.data(), T2, C, V};
    return cross_entropy_fused(c);
  };
  std::vector<double> dh2(T2 * C), dW2(V * C, 0.0);
  CrossEntropyArgs<double> c{h2.data(), W.data(), y.data(), w.data(), T2, C, V, dh2.data(), dW2.data()};
  cross_entropy_fused(c);
  check_grad("dh", h2, dh2, loss2);
  check_grad("dW", W, dW2, loss2);
}

}  // namespace
}  // namespace lw::train
