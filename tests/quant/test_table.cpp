// The kernel tables (kernels/table.hpp): every level up to the machine's is complete, the scalar
// level holds the reference kernels, the vector entries appear from the level that has them, and
// the current table follows the level.
#include <gtest/gtest.h>

#include "cpu/features.hpp"
#include "kernels/table.hpp"

using lw::cpu::Level;
using lw::kernels::KernelTable;
using lw::quant::DType;

namespace {
bool at_least(Level a, Level b) {
  return lw::cpu::implies(a, b);
}
}  // namespace

TEST(KernelTable, EveryLevelIsCompleteAndScalarIsTheReference) {
  for (Level level : lw::cpu::supported_levels()) {
    const KernelTable& k = lw::kernels::kernels(level);
    ASSERT_EQ(k.level, level);
    for (int i = 0; i < lw::quant::kNumDTypes; ++i) {
      const auto t = static_cast<DType>(i);
      const auto& e = k.of(t);
      const auto& tr = lw::quant::traits(t);
      EXPECT_TRUE(e.to_f32 && e.from_f32) << tr.name;
      for (auto fn : e.matvec) EXPECT_NE(fn, nullptr) << tr.name;
      EXPECT_NE(k.quantize_act[static_cast<int>(e.act)], nullptr) << tr.name;
      if (level == Level::scalar) {
        EXPECT_EQ(e.to_f32, tr.to_f32_ref) << tr.name;
        EXPECT_EQ(e.act, lw::quant::ActFormat::f32) << tr.name;
        EXPECT_EQ(e.gemm, nullptr) << tr.name;
      }
    }
    EXPECT_TRUE(k.row_max && k.exp_sub_sum && k.swiglu_forward && k.swiglu_backward);
    // every level above scalar has the vector ops: 4 lanes on aarch64, 8 (avx2) or 16 on x86-64
    const bool vec = level != Level::scalar, arm = at_least(level, Level::neon);
    EXPECT_EQ(k.attend_tile != nullptr, vec);
    EXPECT_EQ(k.decode_group != nullptr, vec);
    EXPECT_EQ(k.vec_width, !vec ? 0 : arm ? 4 : at_least(level, Level::avx512) ? 16 : 8);
    // the integer matvec kernels read 8-bit activations from the first vector level on; bf16 weights
    // read bf16 activations with AVX512_BF16 or ARM BF16
    EXPECT_EQ(k.of(DType::q4_0).act, vec ? lw::quant::ActFormat::q8_32 : lw::quant::ActFormat::f32);
    EXPECT_EQ(k.of(DType::bf16).act == lw::quant::ActFormat::bf16,
              at_least(level, Level::avx512_bf16) || at_least(level, Level::bf16));
    EXPECT_EQ(k.of(DType::q4_k).gemm != nullptr, vec);
    EXPECT_EQ(k.of(DType::bf16).gemm != nullptr,
              at_least(level, Level::avx512_bf16) || at_least(level, Level::bf16));
  }
}

TEST(KernelTable, TheCurrentTableFollowsTheLevel) {
  for (Level level : lw::cpu::supported_levels()) {
    lw::cpu::ScopedLevel scoped(level);
    EXPECT_EQ(&lw::kernels::kernels(), &lw::kernels::kernels(level));
    EXPECT_EQ(lw::kernels::kernels().level, level);
  }
}
