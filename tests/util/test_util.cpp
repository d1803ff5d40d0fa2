#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace {

std::vector<std::string> g_lines;
void capture(lw::log::Level, const std::string& line) { g_lines.push_back(line); }

TEST(Log, SecretsAreRedacted) {
  g_lines.clear();
  lw::log::set_sink(&capture);
  lw::log::add_secret("sk-test-SECRET-123");
  lw::log::info("sending key sk-test-SECRET-123 twice sk-test-SECRET-123");
  lw::log::set_sink(nullptr);
  ASSERT_EQ(g_lines.size(), 1u);
  EXPECT_EQ(g_lines[0].find("SECRET"), std::string::npos) << g_lines[0];
  EXPECT_NE(g_lines[0].find("***"), std::string::npos);
  EXPECT_EQ(lw::log::redact("x sk-test-SECRET-123"), "x ***");
}

TEST(Log, SecretsAreRedactedWithoutPrefixAndInPieces) {
  const std::string key = "sk-proj-Zq81Lm0pXv92RtYw7KeB";
  lw::log::add_secret(key);
  // The key without its scheme prefix, a half of it, and its tail: none of it survives.
  for (const std::string& echo : {key.substr(3), key.substr(8), key.substr(0, 14), key.substr(12, 9)}) {
    std::string out = lw::log::redact("server said: invalid key '" + echo + "' (check it)");
    EXPECT_EQ(out.find(echo), std::string::npos) << out;
    EXPECT_NE(out.find("***"), std::string::npos) << out;
    EXPECT_NE(out.find("server said: invalid key"), std::string::npos) << out;
  }
  // Short runs shared by chance with ordinary text stay.
  EXPECT_EQ(lw::log::redact("sk-proj is a prefix; Zq8 too"), "sk-proj is a prefix; Zq8 too");
  EXPECT_EQ(lw::log::redact_secret("abc Zq81Lm0pXv9 def", key), "abc *** def");
}

TEST(Log, LevelFilters) {
  g_lines.clear();
  lw::log::set_sink(&capture);
  lw::log::set_level(lw::log::Level::warn);
  lw::log::info("hidden");
  lw::log::warn("shown");
  lw::log::set_level(lw::log::Level::info);
  lw::log::set_sink(nullptr);
  ASSERT_EQ(g_lines.size(), 1u);
  EXPECT_NE(g_lines[0].find("shown"), std::string::npos);
  EXPECT_THROW(lw::log::parse_level("loud"), lw::InputError);
}

TEST(Progress, LineFormat) {
  std::string line = lw::format_progress_line("predict", 30, 120, 60.0, "prompts", "3 in flight", 10);
  EXPECT_EQ(line, "predict [##........] 30/120 prompts (25%) 0.50 prompts/s ETA 3m00s | 3 in flight");
  std::string done = lw::format_progress_line("x", 5, 5, 2.0, "it", "", 0);
  EXPECT_EQ(done, "x 5/5 it (100%) 2.50 it/s elapsed 2s");
  EXPECT_EQ(lw::format_duration(3725), "1h02m");
  // A resumed job: 400 of the 600 done units were done before; the rate and ETA are this run's.
  std::string resumed = lw::format_progress_line("write", 600, 1000, 100.0, "words", "", 0, 400);
  EXPECT_EQ(resumed, "write 600/1000 words (60%) 2.00 words/s ETA 3m20s");
  // Ended short of the total (a text shorter than its target): no ETA.
  EXPECT_EQ(lw::format_progress_line("x", 5, 10, 2.0, "it", "", 0, 0, true),
            "x 5/10 it (50%) 2.50 it/s elapsed 2s");
}

TEST(Check, ThrowsWithLocation) {
  try {
    LW_CHECK(1 + 1 == 3, "math is {}", "broken");
    FAIL();
  } catch (const lw::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("test_util.cpp"), std::string::npos);
    EXPECT_NE(m.find("math is broken"), std::string::npos);
  }
}

}  // namespace
