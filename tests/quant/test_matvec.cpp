// The matrix-vector kernels of every type at every CPU level this machine supports, against the
// double-precision reference of the same arithmetic (dequantized weights times the 8-bit
// activations for the integer kernels; times the f32 activations for the float and scalar ones),
// across row lengths, activation row counts and a bias; and the vector activation quantizers give
// the scalar one's bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cpu/features.hpp"
#include "kernels/matvec.hpp"
#include "kernels/table.hpp"
#include "quant/blocks.hpp"
#include "quant/repack.hpp"
#include "quant_test_util.hpp"

using namespace lw::quant;
using namespace lw::kernels;
using namespace lw::quant::testing;
using lw::cpu::Level;

namespace {

struct Case {
  DType t;
  int rows;
  int64_t n;
};

// repacked: the kernel of t's repacked type (quant/repack.hpp) on the rows repacked, against the
// reference of t.
void check(DType t, int rows, int64_t n, int nt, bool bias, Level level, bool blocked = false,
           bool repacked = false) {
  auto wf = randn(static_cast<size_t>(rows) * n, 11 + static_cast<uint32_t>(n), 0.05f);
  auto x = randn(static_cast<size_t>(nt) * n, 12 + static_cast<uint32_t>(nt));
  auto b = randn(rows, 13);
  const size_t rb = dtype_bytes(t, n);
  std::vector<char> w(rb * rows);
  for (int r = 0; r < rows; ++r) traits(t).from_f32(wf.data() + r * n, w.data() + r * rb, n);
  const DType kt = repacked ? *x16_of(t) : t;
  std::vector<char> wx;
  if (repacked) {
    wx.resize(w.size());
    repack_x16(t, w.data(), wx.data(), rows, n);
  }
  const MatvecPlan plan = matvec_plan(kt, nt, level);
  std::vector<char> act;
  MatvecArgs a;
  a.n = n;
  a.w = repacked ? wx.data() : w.data();
  a.w_stride = rb;
  a.x = x.data();
  a.nt = nt;
  std::vector<float> out(static_cast<size_t>(nt) * rows + 3, -7.0f);
  a.out = out.data();
  a.out_stride = rows;
  a.bias = bias ? b.data() : nullptr;
  if (plan.act != ActFormat::f32) {
    const size_t ab = act_row_bytes(plan.act, n);
    act.resize(ab * nt);
    {
      lw::cpu::ScopedLevel scoped(level);
      quantize_act_rows(plan.act, x.data(), nt, n, act.data());
    }
    a.act = act.data();
    a.act_stride = ab;
  }
  if (blocked) {
    lw::kernels::matvec_rows(kt, plan, a, 0, rows);
  } else {
    plan.fn(a, 0, rows);
  }
  std::vector<float> wf_ref(static_cast<size_t>(rows) * n);  // the reference decode of each row
  for (int r = 0; r < rows; ++r) traits(t).to_f32_ref(w.data() + r * rb, wf_ref.data() + r * n, n);
  for (int tt = 0; tt < nt; ++tt)
    for (int r = 0; r < rows; ++r) {
      double want, scale = 0;
      const float* wr = wf_ref.data() + static_cast<size_t>(r) * n;
      for (int64_t i = 0; i < n; ++i) scale += std::fabs(wr[i] * x[tt * n + i]);
      if (plan.act != ActFormat::f32) {
        want = ref::dot_act(t, plan.act, w.data() + r * rb, act.data() + tt * act_row_bytes(plan.act, n), n);
      } else {
        want = 0;
        for (int64_t i = 0; i < n; ++i) want += static_cast<double>(wr[i]) * x[tt * n + i];
      }
      if (bias) want += b[r];
      ASSERT_NEAR(out[tt * rows + r], want, 2e-6 * scale + 1e-6)
          << dtype_name(kt) << " " << lw::cpu::level_name(level) << " nt=" << nt << " n=" << n << " row "
          << r;
    }
  EXPECT_EQ(out[nt * rows], -7.0f);  // nothing written past the output
}

}  // namespace

TEST(Matvec, EveryTypeEveryLevelMatchesReference) {
  for (Level level : lw::cpu::supported_levels()) {
    for (int i = 0; i < kNumDTypes; ++i) {
      const DType t = static_cast<DType>(i);
      const int blk = traits(t).block;
      // one block, four (the 32-block kernels' step), seven (steps and a tail), two / an odd length
      for (int64_t n : {int64_t{blk}, int64_t{4 * blk}, int64_t{7 * blk}, int64_t{blk == 1 ? 77 : 2 * blk}}) {
        for (int nt : {1, 2, 3, 8}) check(t, 5, n, nt, nt == 3, level);
      }
    }
  }
}

// Every activation row count a kernel call takes (1..kMaxMatvecRows: the multi-row kernels unpack
// each weight block once for all rows), with a step of four 32-blocks and a tail, and an odd bias.
TEST(Matvec, EveryRowCountEveryLevelMatchesReference) {
  for (Level level : lw::cpu::supported_levels()) {
    for (int i = 0; i < kNumDTypes; ++i) {
      const DType t = static_cast<DType>(i);
      const int blk = traits(t).block;
      const int64_t n = blk == 1 ? 72 : blk == 32 ? 5 * blk : 2 * blk;
      for (int nt = 1; nt <= kMaxMatvecRows; ++nt) check(t, 3, n, nt, nt % 5 == 0, level);
    }
  }
}

// matvec_rows: rows long enough that the activations of 2 or more rows are split into column
// chunks (kMatvecActBudget), more weight rows than one tile, one row (never split) to 16.
TEST(Matvec, CacheBlockedRowsMatchReference) {
  for (Level level : lw::cpu::supported_levels()) {
    for (int i = 0; i < kNumDTypes; ++i) {
      const DType t = static_cast<DType>(i);
      const int64_t n = traits(t).block == 1 ? 2048 + 8 : 2048 + 256;  // chunks and a short last one
      for (int nt : {1, 2, 7, 16}) check(t, kMatvecTileRows + 3, n, nt, nt != 7, level, true);
    }
  }
}

// The repacked types (16 rows interleaved, lanes = rows) at every level that has their kernels (avx2
// and up):
// every activation row count, two and three groups of 16 rows, one and several super-blocks, and
// through matvec_rows with column chunks (their tiles are one group).
TEST(Matvec, RepackedEveryRowCountMatchesBaseReference) {
  int ran = 0;
  for (Level level : lw::cpu::supported_levels()) {
    for (DType t : {DType::q4_k, DType::q6_k, DType::q8_0}) {
      if (kernels(level).of(*x16_of(t)).unrepacks) {  // the fallback: every level, fewer cases
        for (int nt : {1, 3, 16}) check(t, 32, 2 * 256, nt, nt == 3, level, false, true);
        check(t, 53, 2048 + 256, 7, true, level, true, true);
        continue;
      }
      for (int nt = 1; nt <= kMaxMatvecRows; ++nt) {
        check(t, 32, 256, nt, nt % 5 == 0, level, false, true);
        check(t, 48, 3 * 256, nt, nt % 3 == 0, level, false, true);
        check(t, 37, 256, nt, nt % 4 == 0, level, false, true);  // 5 base rows after the groups
      }
      for (int nt : {1, 2, 7, 16}) check(t, 53, 2048 + 256, nt, nt != 7, level, true, true);
      ++ran;
    }
  }
  int want = 0;  // native kernels from avx2 on (matvec_x16_avx2.cpp, then matvec_x16_avx512.cpp)
  for (Level level : lw::cpu::supported_levels()) want += lw::cpu::implies(level, Level::avx2) ? 3 : 0;
  EXPECT_EQ(ran, want);
  EXPECT_TRUE(kernels(Level::scalar).of(DType::q4_k_x16).unrepacks);  // no kernel: the loader does not repack
}

TEST(Matvec, VectorActivationQuantizerEqualsScalar) {
  for (Level level : lw::cpu::supported_levels()) {
    lw::cpu::ScopedLevel scoped(level);
    for (ActFormat f : {ActFormat::q8_32, ActFormat::q8_256}) {
      const int64_t n = 1024;
      auto x = randn(n, 21, 3.0f);
      x[5] = 0.0f;
      std::fill(x.begin() + 256, x.begin() + 512, 0.0f);  // an all-zero block
      std::vector<char> got(act_row_bytes(f, n)), want(got.size());
      quantize_act_rows(f, x.data(), 1, n, got.data());
      ref::quantize_act_row(f, x.data(), n, want.data());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size()), 0) << lw::cpu::level_name(level);
    }
  }
}

TEST(Matvec, ActivationQuantizationIsWithinHalfAStep) {
  const int64_t n = 256;
  auto x = randn(n, 22);
  std::vector<char> buf(act_row_bytes(ActFormat::q8_256, n));
  ref::quantize_act_row(ActFormat::q8_256, x.data(), n, buf.data());
  const auto* b = reinterpret_cast<const ActQ8_256*>(buf.data());
  for (int64_t i = 0; i < n; ++i) EXPECT_LE(std::fabs(b->d * b->qs[i] - x[i]), 0.5001f * b->d);
  int s = 0;
  for (int i = 0; i < 16; ++i) s += b->qs[i];
  EXPECT_EQ(b->bsums[0], s);
}
