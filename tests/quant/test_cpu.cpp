// CPU feature levels: names, clamping to what the machine has, and scoped overrides.
#include <gtest/gtest.h>

#include "cpu/features.hpp"

using namespace lw::cpu;

TEST(Cpu, LevelNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(Level::avx512_bf16); ++i) {
    const auto l = static_cast<Level>(i);
    EXPECT_EQ(parse_level(level_name(l)), l);
  }
  EXPECT_EQ(parse_level("avx512vnni"), Level::avx512_vnni);
  EXPECT_FALSE(parse_level("sse4"));
  EXPECT_FALSE(parse_level(""));
}

TEST(Cpu, SupportedLevelsRunFromScalarToTheMachinesBest) {
  auto levels = supported_levels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), Level::scalar);
  EXPECT_EQ(levels.back(), max_level());
  const Features& f = detected();
  if (max_level() >= Level::avx2) {
    EXPECT_TRUE(f.avx2 && f.fma && f.f16c);
  }
  if (max_level() >= Level::avx512_vnni) {
    EXPECT_TRUE(f.avx512vnni);
  }
  if (max_level() >= Level::avx512_bf16) {
    EXPECT_TRUE(f.avx512bf16);
  }
}

TEST(Cpu, SetLevelClampsAndScopedLevelRestores) {
  const Level before = level();
  {
    ScopedLevel s(Level::scalar);
    EXPECT_EQ(level(), Level::scalar);
    EXPECT_FALSE(at_least(Level::avx2));
    {
      ScopedLevel s2(Level::avx512_bf16);  // clamped to what this CPU has
      EXPECT_EQ(level(), max_level());
    }
    EXPECT_EQ(level(), Level::scalar);
  }
  EXPECT_EQ(level(), before);
  EXPECT_NE(describe().find(level_name(level())), std::string::npos);
}
