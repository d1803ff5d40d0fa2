// Every block type decodes bit-exactly to the GGML format's reference decoder (vectors made with
// llama.cpp's ggml, tests/fixtures/quant/README.md), through the reference and the fast paths.
#include <gtest/gtest.h>

#include <cstring>

#include "cpu/features.hpp"
#include "kernels/table.hpp"
#include "quant_test_util.hpp"

using namespace lw::quant;
using namespace lw::quant::testing;

TEST(Dequant, TableIsConsistent) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto& tr = traits(static_cast<DType>(i));
    EXPECT_EQ(static_cast<int>(tr.type), i);
    EXPECT_EQ(dtype_from_ggml(tr.ggml_type), tr.type) << tr.name;
    EXPECT_EQ(parse_dtype(tr.name), tr.type);
    EXPECT_GT(tr.block_bytes, 0);
  }
  EXPECT_EQ(parse_dtype("Q4_K"), DType::q4_k);
  EXPECT_FALSE(parse_dtype("q4_k_m"));
  EXPECT_FALSE(dtype_from_ggml(16));  // iq2_xxs: a GGML type this project does not decode
  EXPECT_EQ(dtype_bytes(DType::q4_k, 4096), 16u * 144u);
  EXPECT_EQ(dtype_bytes(DType::bf16, 10), 20u);
}

TEST(Dequant, ReferenceDecoderIsBitExactToGgml) {
  for (DType t : quantized_types()) {
    const std::string n = traits(t).name;
    const auto blocks = read_fixture(n + ".bin");
    const auto want = read_f32(n + ".f32");
    ASSERT_EQ(blocks.size(), dtype_bytes(t, kRows * kCols)) << n;
    ASSERT_EQ(want.size(), static_cast<size_t>(kRows * kCols)) << n;
    std::vector<float> got(want.size(), -1.0f);
    traits(t).to_f32_ref(blocks.data(), got.data(), kRows * kCols);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * 4), 0) << n;
  }
}

TEST(Dequant, FastDecoderEqualsReferenceAtEveryLevel) {
  for (auto level : lw::cpu::supported_levels()) {
    lw::cpu::ScopedLevel scoped(level);
    for (DType t : quantized_types()) {
      const std::string n = traits(t).name;
      const auto blocks = read_fixture(n + ".bin");
      const auto want = read_f32(n + ".f32");
      std::vector<float> got(want.size(), -1.0f);
      // whole rows, and a single block at an odd offset
      lw::kernels::decode_row(t, blocks.data(), got.data(), kRows * kCols);
      EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * 4), 0) << n << " " << lw::cpu::level_name(level);
      const int blk = traits(t).block;
      lw::kernels::decode_row(t, blocks.data() + traits(t).block_bytes, got.data(), blk);
      EXPECT_EQ(std::memcmp(got.data(), want.data() + blk, static_cast<size_t>(blk) * 4), 0) << n;
    }
  }
}
