// `longwriter pack` killed with SIGKILL mid-run, then run again: no temporary file (spool, shard
// or .npy temps) is left in the output directory, and the output is byte for byte that of a clean
// run (issue #19). Temporary files are named by the run that made them (NAME.tmp.PID) and the next
// run removes those whose process is gone.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include "support/shared_data.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
const fs::path kFixtures = fs::path(LW_TEST_DATA_DIR) / "data";
const fs::path kTiktoken = fs::path(lw::testing::data_file("vocab/cl100k_base.tiktoken"));

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::vector<std::string> temp_files(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) out.push_back(e.path().filename().string());
  return out;
}

std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    out[e.path().filename().string()] = {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  return out;
}

TEST(PackKill, KilledMidRunThenRerunLeavesNoTempAndMatchesACleanRun) {
  if (!fs::exists(kTiktoken)) GTEST_SKIP() << "no " << kTiktoken;
  const fs::path d = fs::temp_directory_path() / fmt::format("lw_pack_kill_{}", ::getpid());
  fs::remove_all(d);
  fs::create_directories(d / "tok");
  fs::copy_file(kFixtures / "llama3-cl100k" / "tokenizer_config.json", d / "tok" / "tokenizer_config.json");
  fs::copy_file(kFixtures / "llama3-cl100k" / "config.json", d / "tok" / "config.json");
  fs::create_symlink(fs::absolute(kTiktoken), d / "tok" / "cl100k_base.tiktoken");
  {
    std::ofstream in(d / "sft.jsonl");
    std::string para;
    for (int w = 0; w < 150; ++w) para += fmt::format("word{} ", w % 37);
    for (int i = 0; i < 6000; ++i)
      in << nlohmann::json{{"messages", {{{"role", "user"}, {"content", fmt::format("Question {}?", i)}},
                                         {{"role", "assistant"}, {"content", para + std::to_string(i)}}}}}
                .dump()
         << "\n";
  }
  const std::string bin = LW_CLI_BINARY;
  auto pack_args = [&](const fs::path& out) {
    return std::vector<std::string>{bin, "pack", "--in", (d / "sft.jsonl").string(), "--tokenizer", (d / "tok").string(),
                                    "--format", "llama3-longwriter", "--max-len", "1024", "--threads", "1",
                                    "--out", out.string(), "-q"};
  };

  // 1. Kill a run as soon as it has temporary files: its staging directory beside the output.
  pid_t pid = spawn(pack_args(d / "out"));
  ASSERT_GT(pid, 0);
  std::vector<std::string> seen;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (seen.empty() && std::chrono::steady_clock::now() < until) {
    seen = temp_files(d);
    if (seen.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), -SIGKILL);
  ASSERT_FALSE(seen.empty()) << "the run ended before it made a temporary file";
  EXPECT_FALSE(temp_files(d).empty()) << "SIGKILL should have left the temporary files";

  // 2. Rerun into the same directory: it sweeps what the killed run left and completes.
  pid = spawn(pack_args(d / "out"));
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid), 0);
  EXPECT_EQ(temp_files(d), std::vector<std::string>{});
  EXPECT_EQ(temp_files(d / "out"), std::vector<std::string>{});

  // 3. A clean run elsewhere gives the same files.
  pid = spawn(pack_args(d / "clean"));
  EXPECT_EQ(wait_exit(pid), 0);
  auto a = contents(d / "out"), b = contents(d / "clean");
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : b) {
    ASSERT_TRUE(a.count(name)) << name;
    EXPECT_TRUE(a[name] == bytes) << name << " differs from the clean run";
  }
  fs::remove_all(d);
}

}  // namespace
