// `serve` end to end in-process: the HTTP server in front of the engine backend on a tiny random
// Llama, reached with the project's OpenAI client and raw HTTP: a non-streamed and a streamed
// request, and 16 concurrent clients that all complete.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "net/openai_client.hpp"
#include "serve/http_server.hpp"
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
