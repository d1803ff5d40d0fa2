// `longwriter serve` as a process with the access flags: keys from --api-key-file and
// $LONGWRITER_API_KEY, repeated --allowed-host and --cors-origin, --metrics-public, and no key in
// anything the process prints (stdout and stderr at --log-level debug).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <httplib.h>

#include "child_process.hpp"
#include "cli/cli_helpers.hpp"
#include "tiny_model.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kFileKey = "sk-cli-file-Z8yX7wV6uT5sR4qP";
const std::string kEnvKey = "sk-cli-env-A1bB2cC3dD4eE5fF";

TEST(ServeCli, AccessFlagsWorkAndNoKeyIsEverPrinted) {
  const fs::path keys = fs::temp_directory_path() / ("lw_cli_keys_" + std::to_string(::getpid()));
  std::ofstream(keys) << "# the team's key\n" << kFileKey << "\n";
  ::setenv("LONGWRITER_API_KEY", kEnvKey.c_str(), 1);
  lw::testing::Child srv({lw::testing::longwriter_bin(),
                          "--log-level",
                          "debug",
                          "serve",
                          "--model",
                          lw::testing::tiny_gpt2_model_dir().string(),
                          "--format",
                          "llama3-longwriter",
                          "--port",
                          "0",
                          "--threads",
                          "1",
                          "--parallel",
                          "2",
                          "--api-key-file",
                          keys.string(),
                          "--allowed-host",
                          "one.lan",
                          "--allowed-host",
                          "two.lan",
                          "--cors-origin",
                          "http://localhost:3000",
                          "--cors-origin",
                          "https://app.example.com",
                          "--metrics-public"},
                         /*with_stderr=*/true);
  ::unsetenv("LONGWRITER_API_KEY");
  ASSERT_TRUE(srv.started());
  std::string printed, line;
  std::smatch m;
  int port = 0;
  while (!(line = srv.line()).empty()) {
    printed += line;
    if (std::regex_search(line, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/v1)"))) {
      port = std::stoi(m[1].str());
      break;
    }
  }
  ASSERT_GT(port, 0) << printed;
  EXPECT_NE(line.find("API key required"), std::string::npos) << line;
  fs::remove(keys);

  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(60, 0);
  const std::string body = R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"temperature":0})";
  auto post = [&](const httplib::Headers& h) {
    auto r = cli.Post("/v1/chat/completions", h, body, "application/json");
    return r ? r->status : -1;
  };
  EXPECT_EQ(post({}), 401);
  EXPECT_EQ(post({{"Authorization", "Bearer " + kFileKey.substr(0, 20)}}), 401);
  EXPECT_EQ(post({{"Authorization", "Bearer " + kFileKey}}), 200);
  EXPECT_EQ(post({{"Authorization", "Bearer " + kEnvKey}}), 200);
  EXPECT_EQ(post({{"Authorization", "Bearer " + kEnvKey}, {"Host", "two.lan"}}), 200);
  EXPECT_EQ(post({{"Authorization", "Bearer " + kEnvKey}, {"Host", "one.lan:8080"}}), 200);
  EXPECT_EQ(post({{"Authorization", "Bearer " + kEnvKey}, {"Host", "three.lan"}}), 403);
  auto pf = cli.Options("/v1/chat/completions",
                        {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(pf);
  EXPECT_EQ(pf->get_header_value("Access-Control-Allow-Origin"), "https://app.example.com");
  auto metrics = cli.Get("/metrics");  // --metrics-public
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(
      metrics->body.find("longwriter:requests_total{endpoint=\"/v1/chat/completions\",status=\"401\"} 2"),
      std::string::npos)
      << metrics->body;

  printed += srv.finish();
  EXPECT_NE(printed.find("chatcmpl-"), std::string::npos) << printed;  // the request lines were printed
  for (const auto& key : {kFileKey, kEnvKey}) {
    EXPECT_EQ(printed.find(key), std::string::npos) << printed;
    EXPECT_EQ(printed.find(key.substr(7, 12)), std::string::npos) << printed;
  }
}

// A key file without a key is refused before anything is loaded or bound.
TEST(ServeCli, EmptyKeyFileIsRefused) {
  const fs::path keys = fs::temp_directory_path() / ("lw_cli_nokeys_" + std::to_string(::getpid()));
  std::ofstream(keys) << "# nothing yet\n\n";
  auto r = lw::testing::run_longwriter("serve --model " + lw::testing::tiny_gpt2_model_dir().string() +
                                       " --port 0 --api-key-file " + keys.string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("no key"), std::string::npos) << r.out;
  fs::remove(keys);
}

}  // namespace
