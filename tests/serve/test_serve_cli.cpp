// The CLI end to end: `longwriter serve` started as a process on an ephemeral port answers
// `longwriter chat`; `longwriter convert` round-trips the model; `chat --model DIR` runs the model
// in-process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "cli/cli_helpers.hpp"
#include "tiny_model.hpp"

namespace {

namespace fs = std::filesystem;

using lw::testing::Child;

std::string q(const fs::path& p) {
  std::string s(1, '\'');
  s.append(p.string());
  s.push_back('\'');
  return s;
}

TEST(ServeCli, ServeAnswersLongwriterChatAndLocalModelsRunInProcess) {
  const fs::path model = lw::testing::tiny_gpt2_model_dir();
  Child srv({lw::testing::longwriter_bin(), "--log-level", "warn", "serve", "--model", model.string(),
             "--format", "llama3-longwriter", "--port", "0", "--threads", "1", "--parallel", "2"});
  ASSERT_TRUE(srv.started());
  std::string first = srv.line();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/v1)"))) << first;
  const std::string url = "http://127.0.0.1:" + m[1].str() + "/v1";
  const std::string ask = " --temperature 0 --max-tokens 6 'Hello there'";
  auto served = lw::testing::run_longwriter("--log-level error chat --base-url " + url +
                                            " --model tiny --retries 0" + ask);
  EXPECT_EQ(served.exit_code, 0) << served.out;
  EXPECT_FALSE(served.out.empty());
  // No --base-url: --model is a local directory run in-process; greedy gives the same reply.
  auto local = lw::testing::run_longwriter("--log-level error chat --model " + q(model) +
                                           " --format llama3-longwriter --threads 1" + ask);
  EXPECT_EQ(local.exit_code, 0) << local.out;
  EXPECT_EQ(local.out, served.out);
  // The GGUF conversion carries the tokenizer, and runs in-process to the same reply.
  const fs::path gguf = fs::temp_directory_path() / ("lw_serve_cli_" + std::to_string(::getpid()) + ".gguf");
  auto conv = lw::testing::run_longwriter("convert " + q(model) + " " + q(gguf));
  ASSERT_EQ(conv.exit_code, 0) << conv.out;
  EXPECT_NE(conv.out.find("tokenizer"), std::string::npos) << conv.out;
  auto from_gguf = lw::testing::run_longwriter("--log-level error chat --model " + q(gguf) +
                                               " --format llama3-longwriter --threads 1" + ask);
  EXPECT_EQ(from_gguf.exit_code, 0) << from_gguf.out;
  EXPECT_EQ(from_gguf.out, served.out);
  fs::remove(gguf);
}

TEST(ServeCli, ConvertRoundTripsAndExplainsItself) {
  const fs::path model = lw::testing::tiny_gpt2_model_dir();
  const fs::path out = fs::temp_directory_path() / ("lw_serve_cli_" + std::to_string(::getpid()));
  fs::remove_all(out);
  fs::create_directories(out);
  auto r = lw::testing::run_longwriter("convert " + q(model) + " " + q(out / "tiny.gguf") + " --dtype f16");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("wrote"), std::string::npos);
  r = lw::testing::run_longwriter("convert " + q(out / "tiny.gguf") + " " + q(out / "back"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(fs::exists(out / "back" / "model.safetensors"));
  r = lw::testing::run_longwriter("convert " + q(model) + " " + q(out / "x.bin"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  r = lw::testing::run_longwriter("serve --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--host"), std::string::npos);
  EXPECT_NE(r.out.find("503"), std::string::npos);
  EXPECT_NE(r.out.find("--no-prefix-cache"), std::string::npos);
  fs::remove_all(out);
}

// --no-prefix-cache reaches the scheduler: /health reports the cache off and no reuse.
TEST(ServeCli, NoPrefixCacheTurnsReuseOff) {
  const fs::path model = lw::testing::tiny_gpt2_model_dir();
  for (bool off : {false, true}) {
    std::vector<std::string> argv{lw::testing::longwriter_bin(),
                                  "--log-level",
                                  "warn",
                                  "serve",
                                  "--model",
                                  model.string(),
                                  "--format",
                                  "llama3-longwriter",
                                  "--port",
                                  "0",
                                  "--threads",
                                  "1"};
    if (off) argv.push_back("--no-prefix-cache");
    Child srv(argv);
    ASSERT_TRUE(srv.started());
    std::string first = srv.line();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(first, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/v1)"))) << first;
    httplib::Client cli("127.0.0.1", std::stoi(m[1].str()));
    cli.set_read_timeout(60, 0);
    const std::string text(400, 'a');  // the same long prompt twice
    const std::string body =
        R"({"messages":[{"role":"user","content":")" + text + R"("}],"max_tokens":2,"temperature":0})";
    for (int i = 0; i < 2; ++i) {
      auto res = cli.Post("/v1/chat/completions", body, "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
    }
    auto health = cli.Get("/health");
    ASSERT_TRUE(health);
    auto h = nlohmann::json::parse(health->body)["prefix_cache"];
    EXPECT_EQ(h["enabled"], !off) << health->body;
    EXPECT_EQ(h["hits"], off ? 0 : 1) << health->body;
  }
}

}  // namespace

// `write --parallel` against a local model: the paragraphs in flight go to one scheduler and are
// decoded together (its decode steps carry several sequences), which the closing summary reports.
TEST(ServeCli, ParallelWriteDecodesItsParagraphsTogether) {
  const fs::path model = lw::testing::tiny_gpt2_model_dir();
  const fs::path plan =
      fs::temp_directory_path() / ("lw_parallel_plan_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream f(plan);
    for (int i = 1; i <= 4; ++i)
      f << "Paragraph " << i << " - Main Point: part " << i << " of the story - Word Count: 60 words\n";
  }
  auto r = lw::testing::run_longwriter("write 'Write a 240-word story' --plan " + q(plan) +
                                       " --parallel --model " + q(model) +
                                       " --format llama3-longwriter --threads 1 --seed 3");
  fs::remove(plan);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.out, m, std::regex(R"(decode: (\d+) steps, ([0-9.]+) sequences per step on average, at most (\d+))")))
      << r.out;
  EXPECT_GT(std::stoi(m[3].str()), 1) << r.out;  // steps shared by several paragraphs
  EXPECT_LE(std::stoi(m[3].str()), 4);
  EXPECT_GT(std::stod(m[2].str()), 1.0) << r.out;
  // the aggregate rate of the steps without prompt chunks: some tokens, no more than were written
  std::smatch a;
  ASSERT_TRUE(std::regex_search(
      r.out, a,
      std::regex(R"(([0-9.]+) tokens/s aggregate in the steps without prompt chunks \((\d+) tokens)")))
      << r.out;
  EXPECT_GT(std::stod(a[1].str()), 0.0);
  const int decoded = std::stoi(a[2].str());
  EXPECT_GT(decoded, 0);
  std::smatch c;
  ASSERT_TRUE(std::regex_search(r.out, c, std::regex(R"((\d+) completion tokens)"))) << r.out;
  EXPECT_LE(decoded, std::stoi(c[1].str())) << r.out;
}

// Without --parallel, write sends one request at a time: the local model reserves one KV cache slot,
// not --concurrency of them (with --parallel, --concurrency slots).
TEST(ServeCli, SequentialWriteReservesOneCacheSlot) {
  const fs::path model = lw::testing::tiny_gpt2_model_dir();
  const fs::path plan = fs::temp_directory_path() / ("lw_slots_plan_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream f(plan);
    for (int i = 1; i <= 2; ++i)
      f << "Paragraph " << i << " - Main Point: part " << i << " - Word Count: 20 words\n";
  }
  auto slots = [&](const std::string& mode) {
    auto r = lw::testing::run_longwriter("--log-level info write 'Write a 40-word story' --plan " + q(plan) +
                                         " " + mode + " --concurrency 4 --model " + q(model) +
                                         " --format llama3-longwriter --threads 1 --seed 3");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::smatch m;
    EXPECT_TRUE(
        std::regex_search(r.out, m, std::regex(R"((\d+) parallel sequences x \d+ tokens of context)")))
        << r.out;
    return m.empty() ? 0 : std::stoi(m[1].str());
  };
  EXPECT_EQ(slots(""), 1);
  EXPECT_EQ(slots("--parallel"), 4);
  fs::remove(plan);
}
