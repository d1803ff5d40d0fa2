// `serve` end to end in-process: the HTTP server in front of the engine backend on a tiny random
// Llama, reached with the project's OpenAI client and raw HTTP: a non-streamed and a streamed
// request, and 16 concurrent clients that all complete.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "engine/generate.hpp"
#include "net/openai_client.hpp"
#include "serve/http_server.hpp"
#include "sse_events.hpp"
#include "tiny_model.hpp"

namespace {

using Json = nlohmann::json;

struct Served {
  std::unique_ptr<lw::serve::LocalBackend> backend;
  std::unique_ptr<lw::serve::HttpServer> server;
  Served() {
    backend = lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options(4));
    lw::serve::ServerOptions o;
    o.port = 0;
    o.model_name = backend->name();
    server = std::make_unique<lw::serve::HttpServer>(*backend, o);
    server->start();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/v1"; }
};

TEST(ServeEngine, AnswersNonStreamedAndStreamedRequests) {
  Served s;
  lw::net::ClientOptions co;
  co.base_urls = {s.base_url()};
  co.max_retries = 0;
  lw::net::OpenAIClient client(co);
  lw::net::ChatRequest req;
  req.messages = {{"system", "You are terse."}, {"user", "Hello there"}};
  req.temperature = 0.0;
  req.max_tokens = 10;
  auto whole = client.complete(req);
  EXPECT_EQ(whole.finish_reason, "length");
  EXPECT_EQ(whole.usage.completion_tokens, 10);
  EXPECT_FALSE(whole.content.empty());
  std::string streamed;
  auto r = client.complete(req, [&](std::string_view d) { streamed += d; });
  EXPECT_EQ(streamed, whole.content);  // greedy: same text both ways
  EXPECT_EQ(r.content, whole.content);
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.usage.completion_tokens, 10);
  // The same reply as the backend gives in-process.
  EXPECT_EQ(s.backend->complete(req).content, whole.content);

  httplib::Client raw("127.0.0.1", s.server->port());
  auto models = raw.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(Json::parse(models->body)["data"][0]["id"], s.backend->name());
}

TEST(ServeEngine, SixteenConcurrentClientsAllComplete) {
  Served s;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i)
    clients.emplace_back([&, i] {
      httplib::Client cli("127.0.0.1", s.server->port());
      cli.set_read_timeout(120, 0);
      Json body = {{"messages", {{{"role", "user"}, {"content", "client number " + std::to_string(i)}}}},
                   {"max_tokens", 8},
                   {"temperature", 0.7},
                   {"seed", i},
                   {"stream", i % 2 == 1}};
      auto res = cli.Post("/v1/chat/completions", body.dump(), "application/json");
      if (!res || res->status != 200) {
        ADD_FAILURE() << "client " << i << ": " << (res ? res->body : httplib::to_string(res.error()));
        return;
      }
      if (i % 2 == 0) {
        Json j = Json::parse(res->body);
        if (j["usage"]["completion_tokens"] == 8 && j["choices"][0]["finish_reason"] == "length") ++ok;
      } else if (res->body.find("\"finish_reason\":\"length\"") != std::string::npos &&
                 res->body.find("data: [DONE]") != std::string::npos) {
        ++ok;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(s.server->served(), 16);
  EXPECT_GT(s.backend->scheduler().stats().max_batch_seqs, 1);  // they were decoded together
}

}  // namespace

namespace {

// The "data: {...}" events of an SSE body before [DONE].
using lw::testing::sse_events;

}  // namespace

TEST(ServeEngine, LogprobsOnChatAndPlainCompletionsBothWays) {
  Served s;
  httplib::Client cli("127.0.0.1", s.server->port());
  cli.set_read_timeout(60, 0);
  // Chat with logprobs, whole and streamed: the same tokens and values.
  Json chat = {{"messages", {{{"role", "user"}, {"content", "Hello there"}}}},
               {"max_tokens", 6},
               {"temperature", 0},
               {"logprobs", true},
               {"top_logprobs", 2}};
  auto whole = cli.Post("/v1/chat/completions", chat.dump(), "application/json");
  ASSERT_TRUE(whole && whole->status == 200) << (whole ? whole->body : "no reply");
  Json w = Json::parse(whole->body);
  const Json& content = w["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 6u);
  std::string joined;
  for (const auto& t : content) {
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
    ASSERT_EQ(t["top_logprobs"].size(), 2u);
    EXPECT_EQ(t["top_logprobs"][0]["token"], t["token"]);  // greedy
    EXPECT_EQ(t["bytes"].size(), t["token"].get<std::string>().size());
  }
  chat["stream"] = true;
  auto streamed = cli.Post("/v1/chat/completions", chat.dump(), "application/json");
  ASSERT_TRUE(streamed && streamed->status == 200);
  Json tokens = Json::array();
  std::string text;
  for (const auto& e : sse_events(streamed->body)) {
    const Json& c = e["choices"][0];
    if (c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
    if (c["logprobs"].is_object())
      for (const auto& t : c["logprobs"]["content"]) tokens.push_back(t);
  }
  EXPECT_EQ(text, w["choices"][0]["message"]["content"]);
  EXPECT_EQ(tokens, content);

  // Plain completions: a string prompt and its token ids give the same reply; legacy logprobs.
  Json plain = {{"prompt", "Once upon a time"}, {"max_tokens", 5}, {"temperature", 0}, {"logprobs", 3}};
  auto a = cli.Post("/v1/completions", plain.dump(), "application/json");
  ASSERT_TRUE(a && a->status == 200) << (a ? a->body : "no reply");
  Json ja = Json::parse(a->body);
  EXPECT_EQ(ja["object"], "text_completion");
  EXPECT_EQ(ja["usage"]["completion_tokens"], 5);
  const Json& lp = ja["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 5u);
  ASSERT_EQ(lp["token_logprobs"].size(), 5u);
  ASSERT_EQ(lp["top_logprobs"][0].size(), 3u);
  EXPECT_EQ(lp["text_offset"][0], 0);
  auto ids = s.backend->tokenizer().encode("Once upon a time");
  ids.insert(ids.begin(), 1);  // BOS
  Json by_ids = {{"prompt", ids}, {"max_tokens", 5}, {"temperature", 0}};
  auto b = cli.Post("/v1/completions", by_ids.dump(), "application/json");
  ASSERT_TRUE(b && b->status == 200) << (b ? b->body : "no reply");
  EXPECT_EQ(Json::parse(b->body)["choices"][0]["text"], ja["choices"][0]["text"]);
  // The engine's own greedy reply to the same ids.
  lw::engine::GenerateOptions go;
  go.max_new_tokens = 5;
  go.stop_ids = s.backend->model().config().eos_ids;
  auto ref = lw::engine::generate(s.backend->model(), &s.backend->tokenizer(), ids, go);
  EXPECT_EQ(ja["choices"][0]["text"], ref.text);
  // Streamed: text_completion chunks that add up to the same text, the last with finish_reason.
  plain["stream"] = true;
  auto c = cli.Post("/v1/completions", plain.dump(), "application/json");
  ASSERT_TRUE(c && c->status == 200);
  std::string streamed_text;
  Json streamed_tokens = Json::array();
  auto events = sse_events(c->body);
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) {
    EXPECT_EQ(e["object"], "text_completion");
    streamed_text += e["choices"][0]["text"].get<std::string>();
    if (e["choices"][0]["logprobs"].is_object())
      for (const auto& t : e["choices"][0]["logprobs"]["tokens"]) streamed_tokens.push_back(t);
  }
  EXPECT_EQ(streamed_text, ja["choices"][0]["text"]);
  EXPECT_EQ(streamed_tokens, lp["tokens"]);
  EXPECT_EQ(events.back()["choices"][0]["finish_reason"], "length");
  // Refusals name the field.
  auto bad = cli.Post("/v1/completions", R"({"prompt":"x","echo":true})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("echo"), std::string::npos);
}
