// CPU feature levels: names, clamping to what the machine has, and scoped overrides.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cpu/features.hpp"

using namespace lw::cpu;

TEST(Cpu, LevelNamesRoundTrip) {
  for (int i = 0; i < kNumLevels; ++i) {
    const auto l = static_cast<Level>(i);
    EXPECT_EQ(parse_level(level_name(l)), l);
  }
  EXPECT_EQ(parse_level("avx512vnni"), Level::avx512_vnni);
  EXPECT_EQ(parse_level("dotprod"), Level::dotprod);
  EXPECT_FALSE(parse_level("sse4"));
  EXPECT_FALSE(parse_level(""));
}

TEST(Cpu, SupportedLevelsRunFromScalarToTheMachinesBest) {
  auto levels = supported_levels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), Level::scalar);
  EXPECT_EQ(levels.back(), max_level());
  for (Level l : levels) EXPECT_TRUE(implies(max_level(), l)) << level_name(l);
  const Features& f = detected();
  if (implies(max_level(), Level::avx2)) {
    EXPECT_TRUE(f.avx2 && f.fma && f.f16c);
  }
  if (implies(max_level(), Level::avx512_vnni)) {
    EXPECT_TRUE(f.avx512vnni);
  }
  if (implies(max_level(), Level::avx512_bf16)) {
    EXPECT_TRUE(f.avx512bf16);
  }
  if (implies(max_level(), Level::neon)) {
    EXPECT_TRUE(f.neon);
  }
  if (implies(max_level(), Level::dotprod)) {
    EXPECT_TRUE(f.dotprod);
  }
  if (implies(max_level(), Level::i8mm)) {
    EXPECT_TRUE(f.i8mm);
  }
  if (implies(max_level(), Level::bf16)) {
    EXPECT_TRUE(f.bf16);
  }
}

// scripts/test.sh --arch aarch64 runs this on emulated CPUs whose best level it knows.
TEST(Cpu, DetectsTheExpectedLevelWhenToldIt) {
  const char* want = std::getenv("LW_TEST_EXPECT_MAX_LEVEL");
  if (!want || !*want) GTEST_SKIP() << "LW_TEST_EXPECT_MAX_LEVEL not set";
  EXPECT_STREQ(level_name(max_level()), want) << describe();
}

TEST(Cpu, LevelsImplyTheirOwnFamilyOnly) {
  EXPECT_TRUE(implies(Level::avx512_bf16, Level::avx2));
  EXPECT_TRUE(implies(Level::i8mm, Level::dotprod));
  EXPECT_TRUE(implies(Level::neon, Level::scalar));
  EXPECT_FALSE(implies(Level::dotprod, Level::i8mm));
  EXPECT_FALSE(implies(Level::bf16, Level::avx2));
  EXPECT_FALSE(implies(Level::avx512_bf16, Level::neon));
  EXPECT_FALSE(implies(Level::scalar, Level::neon));
}

TEST(Cpu, SetLevelClampsAndScopedLevelRestores) {
  const Level before = level();
  {
    ScopedLevel s(Level::scalar);
    EXPECT_EQ(level(), Level::scalar);
    EXPECT_FALSE(at_least(Level::avx2));
    {
      ScopedLevel s2(Level::avx512_bf16);  // clamped to what this CPU has
      EXPECT_EQ(level(), implies(max_level(), Level::avx512_bf16) ? Level::avx512_bf16 : max_level());
    }
    {
      // the other architecture's best level: replaced by this CPU's best
      ScopedLevel s3(implies(max_level(), Level::neon) ? Level::avx512_bf16 : Level::bf16);
      EXPECT_EQ(level(), max_level());
    }
    EXPECT_EQ(level(), Level::scalar);
  }
  EXPECT_EQ(level(), before);
  EXPECT_NE(describe().find(level_name(level())), std::string::npos);
}
