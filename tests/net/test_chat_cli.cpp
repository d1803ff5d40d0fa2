// `longwriter chat` end to end against the fake server on 127.0.0.1.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/cli_helpers.hpp"
#include "support/fake_openai.hpp"

namespace {

using lw::testing::FakeOpenAIServer;
using lw::testing::FakeReply;
using lw::testing::FakeRequest;
using lw::testing::run_longwriter;

struct EnvGuard {
  EnvGuard() {
    ::unsetenv("OPENAI_BASE_URL");
    ::unsetenv("OPENAI_API_KEY");
  }
  ~EnvGuard() {
    ::unsetenv("OPENAI_BASE_URL");
    ::unsetenv("OPENAI_API_KEY");
  }
};

TEST(ChatCli, StreamsTheReplyAndReportsUsage) {
  EnvGuard env;
  FakeOpenAIServer srv([](const FakeRequest& r) {
    FakeReply rep;
    rep.content = "Roads of Rome: " + lw::testing::last_user_message(r.body);
    return rep;
  });
  auto res = run_longwriter("chat --base-url " + srv.base_url() +
                            " --model m --system 'be terse' --temperature 0.3 --max-tokens 50 'name a road'");
  EXPECT_EQ(res.exit_code, 0) << res.out;
  EXPECT_NE(res.out.find("Roads of Rome: name a road\n"), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("finish_reason stop"), std::string::npos) << res.out;
  ASSERT_EQ(srv.request_count(), 1);
  auto body = srv.requests()[0].body;
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["model"], "m");
  EXPECT_EQ(body["max_tokens"], 50);
  EXPECT_EQ(body["messages"][0]["content"], "be terse");
}

TEST(ChatCli, NoStreamAndBaseUrlFromEnvironmentAndLengthWarning) {
  EnvGuard env;
  FakeOpenAIServer srv([](const FakeRequest&) {
    FakeReply rep;
    rep.content = "cut sh";
    rep.finish_reason = "length";
    return rep;
  });
  ::setenv("OPENAI_BASE_URL", srv.base_url().c_str(), 1);
  auto res = run_longwriter("chat --model m --no-stream hi");
  EXPECT_EQ(res.exit_code, 0) << res.out;
  EXPECT_NE(res.out.find("cut sh\n"), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("warning: the reply was cut off"), std::string::npos) << res.out;
  EXPECT_FALSE(srv.requests()[0].body.contains("stream"));
}

TEST(ChatCli, UnauthorizedExitsOneWithoutShowingTheKey) {
  EnvGuard env;
  const std::string key = "sk-cli-secret-77aa01";
  FakeOpenAIServer srv([&](const FakeRequest&) {
    FakeReply rep;
    rep.status = 401;
    rep.error_message = "Incorrect API key provided: " + key;
    return rep;
  });
  ::setenv("OPENAI_API_KEY", key.c_str(), 1);
  auto res = run_longwriter("--log-level debug chat --base-url " + srv.base_url() + " --model m hi");
  EXPECT_EQ(res.exit_code, 1) << res.out;
  EXPECT_NE(res.out.find("HTTP 401"), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("Incorrect API key provided"), std::string::npos) << res.out;
  EXPECT_EQ(res.out.find(key), std::string::npos) << res.out;
  EXPECT_EQ(srv.request_count(), 1);
  EXPECT_EQ(srv.requests()[0].authorization, "Bearer " + key);
}

TEST(ChatCli, ModelChoiceErrorsAreInputErrors) {
  EnvGuard env;
  auto none = run_longwriter("chat hi");
  EXPECT_EQ(none.exit_code, 2) << none.out;
  EXPECT_NE(none.out.find("--base-url"), std::string::npos) << none.out;
  auto local = run_longwriter("chat --model ./models/llama.gguf hi");
  EXPECT_EQ(local.exit_code, 2) << local.out;
  EXPECT_NE(local.out.find("./models/llama.gguf"), std::string::npos) << local.out;  // routed to the local branch
  auto bad_url = run_longwriter("chat --base-url localhost:8000 --model m hi");
  EXPECT_EQ(bad_url.exit_code, 2) << bad_url.out;
}

TEST(ChatCli, RefusedConnectionIsARuntimeError) {
  EnvGuard env;
  std::string url;
  {
    FakeOpenAIServer srv([](const FakeRequest&) { return FakeReply{}; });
    url = srv.base_url();
  }
  auto res = run_longwriter("chat --base-url " + url + " --model m --retries 0 --connect-timeout 1 hi");
  EXPECT_EQ(res.exit_code, 1) << res.out;
  EXPECT_NE(res.out.find("could not connect"), std::string::npos) << res.out;
}

}  // namespace
