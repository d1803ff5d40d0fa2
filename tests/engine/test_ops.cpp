// Every fast kernel against its naive reference (engine/ops_ref.hpp).
#include <gtest/gtest.h>

#include <cmath>

#include "engine/config.hpp"
#include "engine/ops.hpp"
#include "engine/ops_ref.hpp"
#include "engine_test_util.hpp"
#include "kernels/matvec.hpp"
#include "util/error.hpp"

using namespace lw::engine;
using namespace lw::engine::testing;

TEST(Dtypes, ConversionsRoundTrip) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 1e-5f, 6.1e-5f, 3.14159f, -1e-7f}) {
    EXPECT_NEAR(f16_to_f32(f32_to_f16(f)), f, std::fabs(f) * 1e-3 + 6e-8) << f;
    EXPECT_NEAR(bf16_to_f32(f32_to_bf16(f)), f, std::fabs(f) * 8e-3) << f;
  }
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(f16_to_f32(f32_to_f16(1e6f))));
  auto x = randn(64, 1);
  std::vector<uint8_t> q(dtype_bytes(DType::q8_0, 64));
  from_f32(DType::q8_0, x.data(), q.data(), 64);
  std::vector<float> back(64);
  to_f32(DType::q8_0, q.data(), back.data(), 64);
  EXPECT_LT(rel_err(back, x), 0.01);
}

struct MatmulCase {
  DType dtype;
  int T, OC, IC;
  bool bias;
};

class MatmulTest : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(MatmulTest, MatchesReference) {
  const auto p = GetParam();
  auto wf = randn(static_cast<size_t>(p.OC) * p.IC, 4, 0.1f);
  std::vector<uint8_t> wbuf(dtype_bytes(p.dtype, static_cast<int64_t>(p.OC) * p.IC));
  from_f32(p.dtype, wf.data(), wbuf.data(), static_cast<int64_t>(p.OC) * p.IC);
  Tensor w{p.dtype, wbuf.data(), {p.OC, p.IC}};
  auto x = randn(static_cast<size_t>(p.T) * p.IC, 5);
  auto bias = randn(p.OC, 6);
  std::vector<float> a(static_cast<size_t>(p.T) * p.OC), b(a.size());
  matmul_forward(a.data(), x.data(), w, p.bias ? bias.data() : nullptr, p.T);
  ref::matmul_forward(b.data(), x.data(), w, p.bias ? bias.data() : nullptr, p.T);
  const auto plan = lw::kernels::matvec_plan(p.dtype, 1);
  if (plan.act != lw::quant::ActFormat::f32) {
    // Quantized weights read 8-bit activations (at every T): the reference is the same arithmetic,
    // and the f32 reference stays within the activations' rounding.
    EXPECT_LT(rel_err(a, b), 2e-2) << dtype_name(p.dtype) << " T=" << p.T;
    std::vector<char> act(lw::quant::act_row_bytes(plan.act, p.IC));
    for (int t = 0; t < p.T; ++t) {
      lw::quant::ref::quantize_act_row(plan.act, x.data() + t * p.IC, p.IC, act.data());
      for (int o = 0; o < p.OC; ++o)
        b[t * p.OC + o] =
            static_cast<float>(lw::quant::ref::dot_act(p.dtype, plan.act, w.row(o), act.data(), p.IC)) +
            (p.bias ? bias[o] : 0.0f);
    }
  }
  EXPECT_LT(rel_err(a, b), 1e-5) << dtype_name(p.dtype) << " T=" << p.T;
}

INSTANTIATE_TEST_SUITE_P(
    Kernels, MatmulTest,
    ::testing::Values(MatmulCase{DType::f32, 1, 37, 64, false}, MatmulCase{DType::f32, 3, 40, 71, true},
                      MatmulCase{DType::f32, 8, 33, 96, true}, MatmulCase{DType::f32, 11, 50, 64, false},
                      MatmulCase{DType::f32, 40, 70, 48, true}, MatmulCase{DType::bf16, 1, 37, 64, true},
                      MatmulCase{DType::bf16, 2, 37, 45, false}, MatmulCase{DType::bf16, 9, 64, 64, false},
                      MatmulCase{DType::bf16, 33, 129, 80, true}, MatmulCase{DType::f16, 1, 20, 48, false},
                      MatmulCase{DType::f16, 5, 20, 47, true}, MatmulCase{DType::f16, 20, 20, 48, false},
                      MatmulCase{DType::q8_0, 1, 20, 64, false}, MatmulCase{DType::q8_0, 7, 21, 96, true},
                      MatmulCase{DType::q8_0, 25, 19, 64, false}));

TEST(Ops, RopeMatchesReferenceAllModes) {
  for (bool interleaved : {false, true}) {
    for (float factor : {1.0f, 0.5f}) {
      ModelConfig c = tiny_llama();
      c.hd = 16;
      c.partial_rotary_factor = factor;
      c.rope_scaling = {"llama3", 8.0f, 1.0f, 4.0f, 64};
      auto inv = rope_inv_freq(c);
      const int T = 7, H = 3;
      std::vector<int32_t> pos = {0, 1, 2, 50, 51, 300, 4000};
      auto x = randn(T * H * c.hd, 7);
      auto y = x;
      std::vector<float> cs(T * c.rot_dim() / 2), sn(cs.size());
      rope_cos_sin(cs.data(), sn.data(), pos.data(), T, inv);
      rope_forward(x.data(), cs.data(), sn.data(), T, H, c.hd, c.rot_dim(), interleaved);
      ref::rope_forward(y.data(), pos.data(), T, H, c.hd, c.rot_dim(), interleaved, inv);
      EXPECT_LT(rel_err(x, y), 1e-6);
      // The inverse rotation restores the input.
      auto z = randn(T * H * c.hd, 7);
      rope_forward(z.data(), cs.data(), sn.data(), T, H, c.hd, c.rot_dim(), interleaved, /*inverse=*/true);
      auto orig = randn(T * H * c.hd, 7);
      rope_forward(x.data(), cs.data(), sn.data(), T, H, c.hd, c.rot_dim(), interleaved, /*inverse=*/true);
      EXPECT_LT(rel_err(x, orig), 1e-6);
    }
  }
}

TEST(Ops, Llama3RopeScalingBands) {
  ModelConfig c = tiny_llama();
  c.hd = 128;
  c.rope_theta = 500000.0f;
  auto plain = rope_inv_freq(c);
  c.rope_scaling = {"llama3", 8.0f, 1.0f, 4.0f, 8192};
  auto scaled = rope_inv_freq(c);
  // High frequencies (short wavelengths) unchanged, low frequencies divided by the factor.
  EXPECT_EQ(scaled[0], plain[0]);
  EXPECT_NEAR(scaled.back(), plain.back() / 8.0f, plain.back() * 1e-6);
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_LE(scaled[i], plain[i] * (1 + 1e-6));
    EXPECT_GE(scaled[i], plain[i] / 8.0f * (1 - 1e-6));
  }
}

TEST(Ops, SwigluAndSoftmaxMatchReference) {
  auto g = randn(3 * 50, 8), u = randn(3 * 50, 9);
  std::vector<float> a(150), b(150);
  swiglu_forward(a.data(), g.data(), u.data(), 3, 50);
  ref::swiglu_forward(b.data(), g.data(), u.data(), 3, 50);
  EXPECT_LT(rel_err(a, b), 1e-6);
  auto x = randn(4 * 33, 10, 5.0f);
  softmax_forward(a.data(), x.data(), 4, 33);
  ref::softmax_forward(b.data(), x.data(), 4, 33);
  EXPECT_LT(rel_err(a.data(), b.data(), 132), 1e-6);
}

TEST(Ops, VarlenAttentionMatchesReference) {
  AttnDims d{6, 2, 16, 1.0f / 4.0f};
  // Lengths across tile boundaries (32 queries, 64 keys per tile), including a single token.
  std::vector<int32_t> cu = {0, 1, 34, 104, 234};
  const int T = cu.back(), n_seq = 4;
  auto q = randn(T * d.n_head * d.hd, 11), k = randn(T * d.n_kv_head * d.hd, 12),
       v = randn(T * d.n_kv_head * d.hd, 13);
  std::vector<float> a(q.size()), b(q.size()), lse(T * d.n_head);
  attention_forward(a.data(), lse.data(), q.data(), k.data(), v.data(), cu.data(), n_seq, d);
  ref::attention_forward(b.data(), q.data(), k.data(), v.data(), cu.data(), n_seq, d);
  EXPECT_LT(rel_err(a, b), 1e-5);
  // The first token of a sequence sees only itself: its output is its own value row.
  for (int c = 0; c < d.hd; ++c) EXPECT_NEAR(a[1 * d.n_head * d.hd + c], v[1 * d.n_kv_head * d.hd + c], 1e-6);
  // lse of a lone token is its scaled self-score.
  double self = 0;
  for (int c = 0; c < d.hd; ++c) self += double(q[c]) * k[c];
  EXPECT_NEAR(lse[0], self * d.scale, 1e-4);
}

TEST(Ops, VarlenAttentionAllHeadDims) {
  // hd 64 and 128 take the AVX-512 path where the CPU has it; 20 and 8 the portable one.
  for (int hd : {8, 20, 64, 128}) {
    AttnDims d{4, 2, hd, 1.0f / std::sqrt(static_cast<float>(hd))};
    std::vector<int32_t> cu = {0, 65, 100};
    const int T = cu.back();
    auto q = randn(T * 4 * hd, 21), k = randn(T * 2 * hd, 22), v = randn(T * 2 * hd, 23);
    std::vector<float> a(q.size()), b(q.size());
    attention_forward(a.data(), nullptr, q.data(), k.data(), v.data(), cu.data(), 2, d);
    ref::attention_forward(b.data(), q.data(), k.data(), v.data(), cu.data(), 2, d);
    EXPECT_LT(rel_err(a, b), 1e-5) << "hd " << hd;
  }
}

TEST(Ops, KvAttentionEqualsLastRowsOfFullAttention) {
  AttnDims d{4, 4, 8, 0.3f};
  const int Tk = 90, Tq = 37;
  std::vector<int32_t> cu = {0, Tk};
  auto q = randn(Tk * 32, 14), k = randn(Tk * 32, 15), v = randn(Tk * 32, 16);
  std::vector<float> full(q.size()), part(Tq * 32);
  ref::attention_forward(full.data(), q.data(), k.data(), v.data(), cu.data(), 1, d);
  attention_kv_forward(part.data(), nullptr, q.data() + (Tk - Tq) * 32, k.data(), v.data(), Tq, Tk, 32, d);
  EXPECT_LT(rel_err(part.data(), full.data() + (Tk - Tq) * 32, part.size()), 1e-5);
}

// A verify step (a few queries of one sequence, beside other sequences' decode rows) runs on the
// decode thread pool, not OpenMP (engine/ops.hpp kSmallStepRows): with enough work to go parallel it
// must still equal the reference, for the vector head dims and the portable one.
TEST(Ops, SmallStepAttentionOnThePoolMatchesReference) {
  for (int hd : {128, 20}) {
    AttnDims d{8, 2, hd, 0.2f};
    const int Tk = 300, Tq = 5, qs = d.n_head * hd, ks = d.n_kv_head * hd;
    std::vector<int32_t> cu = {0, Tk};
    auto q = randn(static_cast<size_t>(Tk) * qs, 41), k = randn(static_cast<size_t>(Tk) * ks, 42),
         v = randn(static_cast<size_t>(Tk) * ks, 43);
    std::vector<float> full(q.size()), part(static_cast<size_t>(Tq) * qs);
    ref::attention_forward(full.data(), q.data(), k.data(), v.data(), cu.data(), 1, d);
    // The rows' log-sum-exps too (a 5-row step takes the decode kernel row by row where the level
    // has one): against the tiled kernel's over the whole sequence.
    std::vector<float> tiled(q.size()), tiled_lse(static_cast<size_t>(Tk) * d.n_head),
        part_lse(static_cast<size_t>(Tq) * d.n_head);
    attention_forward(tiled.data(), tiled_lse.data(), q.data(), k.data(), v.data(), cu.data(), 1, d);
    attention_kv_forward(part.data(), part_lse.data(), q.data() + static_cast<size_t>(Tk - Tq) * qs, k.data(),
                         v.data(), Tq, Tk, ks, d);
    EXPECT_LT(rel_err(part.data(), full.data() + static_cast<size_t>(Tk - Tq) * qs, part.size()), 1e-5) << hd;
    EXPECT_LT(rel_err(part_lse.data(), tiled_lse.data() + static_cast<size_t>(Tk - Tq) * d.n_head, part_lse.size()),
              1e-5)
        << hd;
  }
}

// Decode (Tq = 1) takes attention_decode.cpp's path where the CPU has AVX-512 and hd is 32, 64 or
// 128; it must equal the reference's last row (and the tiled kernel's lse) for every group size,
// key counts around its 16-wide vector tail, and a KV row stride wider than the heads.
TEST(Ops, DecodeAttentionMatchesReference) {
  for (int hd : {32, 64, 128, 20}) {
    for (int group : {1, 3, 4, 6}) {
      for (int Tk : {1, 15, 17, 100}) {
        AttnDims d{2 * group, 2, hd, 1.0f / std::sqrt(static_cast<float>(hd))};
        const int qs = d.n_head * hd, ks = d.n_kv_head * hd, kv_stride = ks + 16;
        auto q = randn(static_cast<size_t>(Tk) * qs, 31), k = randn(static_cast<size_t>(Tk) * ks, 32),
             v = randn(static_cast<size_t>(Tk) * ks, 33);
        std::vector<int32_t> cu = {0, Tk};
        std::vector<float> full(q.size()), full_lse(static_cast<size_t>(Tk) * d.n_head);
        ref::attention_forward(full.data(), q.data(), k.data(), v.data(), cu.data(), 1, d);
        std::vector<float> tiled(q.size());
        attention_forward(tiled.data(), full_lse.data(), q.data(), k.data(), v.data(), cu.data(), 1, d);
        // The cache layout: rows of kv_stride floats.
        std::vector<float> kc(static_cast<size_t>(Tk) * kv_stride, 99.0f), vc(kc.size(), 99.0f);
        for (int j = 0; j < Tk; ++j)
          for (int c = 0; c < ks; ++c) {
            kc[static_cast<size_t>(j) * kv_stride + c] = k[static_cast<size_t>(j) * ks + c];
            vc[static_cast<size_t>(j) * kv_stride + c] = v[static_cast<size_t>(j) * ks + c];
          }
        std::vector<float> out(qs), lse(d.n_head);
        const float* qlast = q.data() + static_cast<size_t>(Tk - 1) * qs;
        attention_seqs_forward(
            {AttnSeq{qlast, kc.data(), vc.data(), out.data(), lse.data(), 1, Tk, qs, kv_stride, d.n_head}},
            d);
        const std::string what =
            "hd " + std::to_string(hd) + " group " + std::to_string(group) + " Tk " + std::to_string(Tk);
        EXPECT_LT(rel_err(out.data(), full.data() + static_cast<size_t>(Tk - 1) * qs, qs), 1e-5) << what;
        for (int h = 0; h < d.n_head; ++h)
          EXPECT_NEAR(lse[h], full_lse[static_cast<size_t>(Tk - 1) * d.n_head + h], 1e-4) << what;
      }
    }
  }
}

// Batched decode mixed with a chunk: three sequences in one call, two with one query (decode path)
// and one with four (tiled path), each equal to the reference on its own.
TEST(Ops, MixedDecodeAndChunkAttention) {
  AttnDims d{12, 4, 64, 0.125f};
  const int qs = 12 * 64, ks = 4 * 64;
  const std::vector<int> Tks = {40, 130, 77}, Tqs = {1, 4, 1};
  std::vector<std::vector<float>> q, k, v, want, got;
  std::vector<AttnSeq> seqs;
  for (int s = 0; s < 3; ++s) {
    const int Tk = Tks[s];
    q.push_back(randn(static_cast<size_t>(Tk) * qs, 40 + s));
    k.push_back(randn(static_cast<size_t>(Tk) * ks, 50 + s));
    v.push_back(randn(static_cast<size_t>(Tk) * ks, 60 + s));
    std::vector<int32_t> cu = {0, Tk};
    want.emplace_back(q[s].size());
    ref::attention_forward(want[s].data(), q[s].data(), k[s].data(), v[s].data(), cu.data(), 1, d);
    got.emplace_back(static_cast<size_t>(Tqs[s]) * qs);
  }
  for (int s = 0; s < 3; ++s)
    seqs.push_back({q[s].data() + static_cast<size_t>(Tks[s] - Tqs[s]) * qs, k[s].data(), v[s].data(),
                    got[s].data(), nullptr, Tqs[s], Tks[s], qs, ks, 0});
  attention_seqs_forward(seqs, d);
  for (int s = 0; s < 3; ++s)
    EXPECT_LT(
        rel_err(got[s].data(), want[s].data() + static_cast<size_t>(Tks[s] - Tqs[s]) * qs, got[s].size()),
        1e-5)
        << "sequence " << s;
}

TEST(Ops, EmbeddingRejectsOutOfRangeIds) {
  std::vector<float> table(10 * 4, 1.0f), out(4);
  Tensor t = Tensor::of(table.data(), {10, 4});
  int32_t bad = 10;
  EXPECT_THROW(embedding_forward(out.data(), &bad, 1, t), lw::InputError);
}
