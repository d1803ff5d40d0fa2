// The prefill GEMM of every type that has one, at every CPU level that has it: the same arithmetic
// as the matrix-vector kernels (8-bit activations for quantized weights, bf16 ones for bf16 weights
// at avx512_bf16), checked against the double-precision reference per output, across panel tails
// (OC not a multiple of the panel), tile tails (T not a multiple of the tile) and a bias.
#include <gtest/gtest.h>

#include <cmath>

#include "cpu/features.hpp"
#include "kernels/gemm.hpp"
#include "kernels/matvec.hpp"
#include "quant/repack.hpp"
#include "quant_test_util.hpp"

using namespace lw::quant;
using namespace lw::kernels;
using namespace lw::quant::testing;
using lw::cpu::Level;

namespace {

// repacked: the GEMM of t's repacked type on the rows repacked (quant/repack.hpp), against t's reference.
void check(DType t, int64_t OC, int64_t IC, int T, bool bias, bool repacked = false) {
  auto wf = randn(static_cast<size_t>(OC) * IC, 31 + static_cast<uint32_t>(IC), 0.05f);
  auto x = randn(static_cast<size_t>(T) * IC, 32 + static_cast<uint32_t>(T));
  auto b = randn(OC, 33);
  const size_t rb = dtype_bytes(t, IC);
  std::vector<char> w(rb * OC);
  for (int64_t r = 0; r < OC; ++r) traits(t).from_f32(wf.data() + r * IC, w.data() + r * rb, IC);
  std::vector<char> wx(repacked ? w.size() : 0);
  if (repacked) repack_x16(t, w.data(), wx.data(), OC, IC);
  GemmArgs a;
  a.OC = OC, a.IC = IC, a.w = repacked ? wx.data() : w.data(), a.w_stride = rb, a.x = x.data(), a.T = T;
  std::vector<float> out(static_cast<size_t>(T) * (OC + 3), -9.0f);
  a.out = out.data(), a.out_stride = OC + 3, a.bias = bias ? b.data() : nullptr;
  ASSERT_TRUE(gemm(repacked ? *x16_of(t) : t, a));
  const ActFormat f = matvec_plan(t, 1).act;
  std::vector<char> act(act_row_bytes(f, IC));
  for (int tt = 0; tt < T; ++tt) {
    ref::quantize_act_row(f, x.data() + tt * IC, IC, act.data());
    for (int64_t o = 0; o < OC; ++o) {
      std::vector<float> wr(IC);
      traits(t).to_f32_ref(w.data() + o * rb, wr.data(), IC);
      double scale = 0;
      for (int64_t i = 0; i < IC; ++i) scale += std::fabs(wr[i] * x[tt * IC + i]);
      const double want = ref::dot_act(t, f, w.data() + o * rb, act.data(), IC) + (bias ? b[o] : 0.0f);
      ASSERT_NEAR(out[tt * (OC + 3) + o], want, 2e-6 * scale + 1e-6)
          << dtype_name(t) << " " << lw::cpu::level_name(lw::cpu::level()) << " T=" << T << " t=" << tt
          << " o=" << o;
    }
    for (int k = 0; k < 3; ++k) ASSERT_EQ(out[tt * (OC + 3) + OC + k], -9.0f);  // nothing past OC
  }
}

}  // namespace

TEST(Gemm, EveryTypeEveryLevelMatchesReference) {
  int ran = 0;
  for (Level level : lw::cpu::supported_levels()) {
    lw::cpu::ScopedLevel scoped(level);
    for (int i = 0; i < kNumDTypes; ++i) {
      const DType t = static_cast<DType>(i);
      if (!gemm_supported(t)) continue;
      const int64_t IC = traits(t).block == 1 ? 96 : 2 * traits(t).block;
      for (int T : {1, 5, 17}) check(t, 37, IC, T, T == 5);
      ++ran;
    }
  }
  EXPECT_GT(ran, 0);
  // quantized types have a GEMM from the first vector level on (avx2, neon), bf16 only with
  // AVX512_BF16 or ARM BF16
  EXPECT_FALSE(gemm_supported(DType::q4_k, Level::scalar));
  const auto levels = lw::cpu::supported_levels();
  if (levels.size() > 1) {
    EXPECT_TRUE(gemm_supported(DType::q4_k, levels[1]));
  }
  // (the best level below the bf16 dot products of this architecture)
  const Level below_bf16 =
      lw::cpu::implies(lw::cpu::max_level(), Level::neon) ? Level::i8mm : Level::avx512_vnni;
  EXPECT_FALSE(gemm_supported(DType::bf16, below_bf16));
  EXPECT_FALSE(gemm_supported(DType::f32, Level::avx512_bf16));
  {
    lw::cpu::ScopedLevel scalar(Level::scalar);
    GemmArgs a;
    EXPECT_FALSE(gemm(DType::q8_0, a));  // no kernel: the caller falls back to BLAS
  }
}

// The repacked types' GEMM (prefill on repacked weights): each panel's 16-row groups de-interleaved,
// then the base type's GEMM; a panel tail of one group.
TEST(Gemm, RepackedMatchesBaseReference) {
  int ran = 0;
  for (Level level : lw::cpu::supported_levels()) {
    lw::cpu::ScopedLevel scoped(level);
    for (DType t : {DType::q4_k, DType::q6_k, DType::q8_0}) {
      if (!gemm_supported(*x16_of(t))) {
        continue;
      }
      for (int T : {1, 6, 17}) check(t, 48, 2 * 256, T, T == 6, true);
      check(t, 53, 256, 5, true, true);  // a last panel of one group and 5 base rows
      ++ran;
    }
  }
  if (lw::cpu::implies(lw::cpu::max_level(), Level::avx512_vnni)) {
    EXPECT_GT(ran, 0);
  }
}
