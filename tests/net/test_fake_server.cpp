#include <gtest/gtest.h>

#include <httplib.h>

#include "support/fake_openai.hpp"

namespace {

TEST(FakeServer, AnswersAndLogs) {
  lw::testing::FakeOpenAIServer srv([](const lw::testing::FakeRequest& r) {
    lw::testing::FakeReply rep;
    rep.content = "echo: " + lw::testing::last_user_message(r.body);
    return rep;
  });
  httplib::Client cli("127.0.0.1", srv.port());
  auto res = cli.Post("/v1/chat/completions",
                      R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "echo: hi");
  EXPECT_EQ(srv.request_count(), 1);
}

}  // namespace
