#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_helpers.hpp"

namespace {

using lw::testing::run_longwriter;

TEST(Cli, VersionAndHelp) {
  auto v = run_longwriter("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("longwriter "), std::string::npos);
  auto h = run_longwriter("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("count-words"), std::string::npos);
  EXPECT_NE(h.out.find("Exit codes"), std::string::npos);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_longwriter("no-such-command").exit_code, 2);
  EXPECT_EQ(run_longwriter("count-words --no-such-flag").exit_code, 2);
  EXPECT_EQ(run_longwriter("--log-level loud count-words").exit_code, 2);
}

TEST(Cli, CountWordsStdinAndFile) {
  auto r = run_longwriter("count-words", "Hello world, 你好 don't");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "6\n");
  auto path = std::filesystem::temp_directory_path() / "lw_cli_count.txt";
  std::ofstream(path) << "one two three";
  auto f = run_longwriter("count-words " + path.string());
  EXPECT_EQ(f.exit_code, 0);
  EXPECT_EQ(f.out, "3\n");
  auto missing = run_longwriter("count-words /nonexistent/file.txt");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("/nonexistent/file.txt"), std::string::npos);
}

}  // namespace
