// The HTTP layer against a scripted ChatBackend: non-stream and SSE replies, errors, limits, the
// bounded queue (503) and many concurrent clients. The engine-backed server is tested in
// test_serve_engine.cpp.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/errors.hpp"
#include "net/openai_client.hpp"
#include "serve/http_server.hpp"
#include "util/error.hpp"

namespace {

using Json = nlohmann::json;

// Replies "echo: <last user message>", streamed three bytes at a time; max_tokens cuts the reply
// (finish "length"). "block" in the message waits until release() is called; "too long" fails
// like an over-long prompt.
class ScriptedBackend : public lw::net::ChatBackend {
 public:
  lw::net::ChatResponse complete(const lw::net::ChatRequest& req, const lw::net::DeltaCallback& on_delta) override {
    std::string last = req.messages.back().content;
    int now = ++running_;
    int seen = max_running_.load();
    while (now > seen && !max_running_.compare_exchange_weak(seen, now)) {
    }
    struct Done {
      std::atomic<int>& r;
      ~Done() { --r; }
    } done{running_};
    if (last == "too long") throw lw::net::ContextLengthError("prompt exceeds the context length of 8 tokens", 400, "");
    if (last == "bad") throw lw::InputError("bad input here");
    if (last == "block") {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return released_; });
    }
    lw::net::ChatResponse r;
    r.content = "echo: " + last;
    r.finish_reason = "stop";
    if (req.max_tokens && static_cast<size_t>(*req.max_tokens) < r.content.size()) {
      r.content.resize(*req.max_tokens);
      r.finish_reason = "length";
    }
    if (on_delta)
      for (size_t i = 0; i < r.content.size(); i += 3) on_delta(std::string_view(r.content).substr(i, 3));
    r.usage = {static_cast<int64_t>(last.size()), static_cast<int64_t>(r.content.size()),
               static_cast<int64_t>(last.size() + r.content.size())};
    return r;
  }
  int suggested_concurrency() const override { return 4; }
  std::string describe() const override { return "scripted"; }
  void release() {
    std::lock_guard lk(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int running() const { return running_.load(); }
  int max_running() const { return max_running_.load(); }

 private:
  std::atomic<int> running_{0}, max_running_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

lw::serve::ServerOptions test_options() {
  lw::serve::ServerOptions o;
  o.port = 0;
  o.model_name = "tiny";
  return o;
}

std::string chat_body(const std::string& user, bool stream = false, const std::string& extra = "") {
  Json j = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", user}}}}, {"stream", stream}};
  std::string s = j.dump();
  if (!extra.empty()) s = s.substr(0, s.size() - 1) + "," + extra + "}";
  return s;
}

// Parses an SSE body into its data payloads.
std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    size_t end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

TEST(HttpServer, AnswersNonStreamedRequest) {
  ScriptedBackend be;
  lw::serve::HttpServer srv(be, test_options());
  srv.start();
  httplib::Client cli("127.0.0.1", srv.port());
  auto res = cli.Post("/v1/chat/completions", chat_body("hello"), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  Json j = Json::parse(res->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "echo: hello");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["usage"]["completion_tokens"], 11);
  EXPECT_EQ(srv.served(), 1);
}

TEST(HttpServer, StreamsServerSentEvents) {
  ScriptedBackend be;
  lw::serve::HttpServer srv(be, test_options());
  srv.start();
  httplib::Client cli("127.0.0.1", srv.port());
  auto res = cli.Post("/v1/chat/completions",
                      chat_body("stream me", true, R"("stream_options":{"include_usage":true},"max_tokens":10)"),
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  auto events = sse_data(res->body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(Json::parse(events[0])["choices"][0]["delta"]["role"], "assistant");
  std::string text, finish;
  Json usage;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    Json e = Json::parse(events[i]);
    if (e.contains("usage")) usage = e["usage"];
    if (e["choices"].empty()) continue;
    text += e["choices"][0]["delta"].value("content", "");
    if (!e["choices"][0]["finish_reason"].is_null()) finish = e["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(text, "echo: stre");
  EXPECT_EQ(finish, "length");
  EXPECT_EQ(usage["completion_tokens"], 10);
}

TEST(HttpServer, TheProjectClientTalksToIt) {
  ScriptedBackend be;
  lw::serve::HttpServer srv(be, test_options());
  srv.start();
  lw::net::ClientOptions co;
  co.base_urls = {"http://127.0.0.1:" + std::to_string(srv.port()) + "/v1"};
  co.max_retries = 0;
  lw::net::OpenAIClient client(co);
  lw::net::ChatRequest req;
  req.messages = {{"user", "round trip"}};
  auto r = client.complete(req);
  EXPECT_EQ(r.content, "echo: round trip");
  EXPECT_EQ(r.finish_reason, "stop");
  std::string streamed;
  auto r2 = client.complete(req, [&](std::string_view d) { streamed += d; });
  EXPECT_EQ(streamed, "echo: round trip");
  EXPECT_EQ(r2.content, streamed);
  EXPECT_EQ(r2.usage.completion_tokens, 16);
  req.messages = {{"user", "too long"}};
  EXPECT_THROW(client.complete(req), lw::net::ContextLengthError);
  EXPECT_THROW(client.complete(req, [](std::string_view) {}), lw::net::ContextLengthError);
}

TEST(HttpServer, ReportsErrorsAsOpenAIErrorObjects) {
  ScriptedBackend be;
  auto o = test_options();
  o.max_body_bytes = 4096;
  lw::serve::HttpServer srv(be, o);
  srv.start();
  httplib::Client cli("127.0.0.1", srv.port());
  auto res = cli.Post("/v1/chat/completions", "{not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(Json::parse(res->body)["error"]["message"].get<std::string>().find("JSON"), std::string::npos);
  res = cli.Post("/v1/chat/completions", chat_body("bad"), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(Json::parse(res->body)["error"]["message"], "bad input here");
  res = cli.Post("/v1/chat/completions", chat_body("too long"), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], "context_length_exceeded");
  res = cli.Post("/v1/chat/completions", chat_body(std::string(5000, 'x')), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  std::string deep = chat_body("x", false, "\"deep\":" + std::string(100, '[') + std::string(100, ']'));
  res = cli.Post("/v1/chat/completions", deep, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  res = cli.Get("/v1/nothing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_TRUE(Json::parse(res->body).contains("error"));
}

TEST(HttpServer, ListsModelsAndHealth) {
  ScriptedBackend be;
  lw::serve::HttpServer srv(be, test_options());
  srv.start();
  httplib::Client cli("127.0.0.1", srv.port());
  auto res = cli.Get("/v1/models");
  ASSERT_TRUE(res);
  EXPECT_EQ(Json::parse(res->body)["data"][0]["id"], "tiny");
  res = cli.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Json::parse(res->body)["status"], "ok");
}

TEST(HttpServer, FullQueueAnswers503) {
  ScriptedBackend be;
  auto o = test_options();
  o.max_pending = 2;
  lw::serve::HttpServer srv(be, o);
  srv.start();
  std::vector<std::thread> blocked;
  std::atomic<int> ok{0};
  for (int i = 0; i < 2; ++i)
    blocked.emplace_back([&] {
      httplib::Client cli("127.0.0.1", srv.port());
      cli.set_read_timeout(30, 0);
      auto res = cli.Post("/v1/chat/completions", chat_body("block"), "application/json");
      if (res && res->status == 200) ++ok;
    });
  // Both requests reach the backend, by a deadline (a server that never dispatches them fails
  // here instead of hanging the test).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (be.running() < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (be.running() < 2) {
    be.release();
    for (auto& t : blocked) t.join();
    FAIL() << "the two blocking requests did not reach the backend within 60 s";
  }
  httplib::Client cli("127.0.0.1", srv.port());
  auto res = cli.Post("/v1/chat/completions", chat_body("one more"), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], "queue_full");
  EXPECT_EQ(srv.rejected(), 1);
  be.release();
  for (auto& t : blocked) t.join();
  EXPECT_EQ(ok.load(), 2);
  res = cli.Post("/v1/chat/completions", chat_body("after"), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServer, SixteenConcurrentClientsAllComplete) {
  ScriptedBackend be;
  lw::serve::HttpServer srv(be, test_options());
  srv.start();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i)
    clients.emplace_back([&, i] {
      httplib::Client cli("127.0.0.1", srv.port());
      std::string who = "client " + std::to_string(i);
      auto res = cli.Post("/v1/chat/completions", chat_body(who, i % 2 == 1), "application/json");
      if (!res || res->status != 200) {
        ADD_FAILURE() << who << ": " << (res ? std::to_string(res->status) + " " + res->body : httplib::to_string(res.error()));
        return;
      }
      if (i % 2 == 0) {
        if (Json::parse(res->body)["choices"][0]["message"]["content"] == "echo: " + who) ++ok;
      } else if (res->body.find("[DONE]") != std::string::npos) {
        ++ok;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(srv.served(), 16);
}

TEST(HttpServer, RefusesAPortInUse) {
  ScriptedBackend be;
  lw::serve::HttpServer a(be, test_options());
  a.start();
  auto o = test_options();
  o.port = a.port();
  lw::serve::HttpServer b(be, o);
  EXPECT_THROW(b.bind(), lw::Error);
}

}  // namespace
