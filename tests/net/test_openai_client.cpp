// OpenAIClient against the fake server on 127.0.0.1: requests, replies, streaming, concurrency.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "net/errors.hpp"
#include "net/openai_client.hpp"
#include "support/fake_client.hpp"
#include "support/fake_openai.hpp"

namespace {

using lw::net::ChatRequest;
using lw::net::ClientOptions;
using lw::net::OpenAIClient;
using lw::testing::FakeOpenAIServer;
using lw::testing::FakeReply;
using lw::testing::FakeRequest;
using lw::testing::fast_client_options;
using lw::testing::user_message;

FakeReply echo(const FakeRequest& r) {
  FakeReply rep;
  rep.content = "echo: " + lw::testing::last_user_message(r.body);
  return rep;
}

TEST(OpenAIClient, NonStreamingSendsAllFieldsAndSurfacesUsage) {
  FakeOpenAIServer srv(echo);
  OpenAIClient client(fast_client_options(srv.base_url()));
  ChatRequest req = user_message("hello");
  req.messages.insert(req.messages.begin(), {"system", "be brief"});
  req.temperature = 0.5;
  req.top_p = 0.9;
  req.max_tokens = 100;
  req.stop = {"END"};
  req.seed = 42;
  auto r = client.complete(req);
  EXPECT_EQ(r.content, "echo: hello");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.usage.prompt_tokens, 10);
  EXPECT_GT(r.usage.completion_tokens, 0);
  EXPECT_EQ(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  EXPECT_EQ(r.model, "fake-model");
  ASSERT_EQ(srv.request_count(), 1);
  auto body = srv.requests()[0].body;
  EXPECT_EQ(body["model"], "fake-model");
  EXPECT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][0]["content"], "be brief");
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(body["top_p"].get<double>(), 0.9);
  EXPECT_EQ(body["max_tokens"], 100);
  EXPECT_EQ(body["stop"], nlohmann::json::array({"END"}));
  EXPECT_EQ(body["seed"], 42);
  EXPECT_FALSE(body.contains("stream"));
}

TEST(OpenAIClient, RequestModelOverridesDefaultAndUnsetFieldsAreOmitted) {
  FakeOpenAIServer srv(echo);
  OpenAIClient client(fast_client_options(srv.base_url()));
  ChatRequest req = user_message("x");
  req.model = "other";
  client.complete(req);
  auto body = srv.requests()[0].body;
  EXPECT_EQ(body["model"], "other");
  for (const char* k : {"temperature", "top_p", "max_tokens", "stop", "seed"}) EXPECT_FALSE(body.contains(k)) << k;
}

TEST(OpenAIClient, StreamingDeliversDeltasInOrderUpToDone) {
  const std::string text = "Streaming text with ünïcödé and 中文 characters, long enough for many events.";
  FakeOpenAIServer srv([&](const FakeRequest&) {
    FakeReply rep;
    rep.content = text;
    rep.finish_reason = "length";
    rep.stream_chunk_chars = 5;
    return rep;
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  std::string got;
  int pieces = 0;
  auto r = client.complete(user_message("go"), [&](std::string_view d) {
    got.append(d);
    ++pieces;
  });
  EXPECT_EQ(got, text);
  EXPECT_EQ(r.content, text);
  EXPECT_GT(pieces, 5);
  EXPECT_EQ(r.finish_reason, "length");  // callers must see a truncated output
  EXPECT_GT(r.usage.completion_tokens, 0);
  auto body = srv.requests()[0].body;
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
}

TEST(OpenAIClient, SendsBearerKeyOnlyWhenGiven) {
  FakeOpenAIServer srv(echo);
  {
    OpenAIClient client(fast_client_options(srv.base_url()));
    client.complete(user_message("a"));
  }
  {
    auto o = fast_client_options(srv.base_url());
    o.api_key = "sk-test-bearer-0001";
    OpenAIClient client(o);
    client.complete(user_message("b"));
  }
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].authorization, "");
  EXPECT_EQ(reqs[1].authorization, "Bearer sk-test-bearer-0001");
}

TEST(OpenAIClient, ManyConcurrentRequestsAllCompleteWithinTheLimit) {
  std::atomic<int> in_flight{0}, max_in_flight{0};
  FakeOpenAIServer srv([&](const FakeRequest& r) {
    int now = ++in_flight;
    int prev = max_in_flight.load();
    while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    --in_flight;
    return echo(r);
  });
  auto o = fast_client_options(srv.base_url());
  o.concurrency = 4;
  OpenAIClient client(o);
  constexpr int kThreads = 16, kPerThread = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string msg = fmt::format("t{}i{}", t, i);
        auto r = (i % 2) ? client.complete(user_message(msg)) : client.complete(user_message(msg), [](std::string_view) {});
        if (r.content == "echo: " + msg) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(srv.request_count(), kThreads * kPerThread);
  EXPECT_LE(max_in_flight.load(), 4);
  EXPECT_GE(max_in_flight.load(), 2);  // requests really overlapped
}

}  // namespace
