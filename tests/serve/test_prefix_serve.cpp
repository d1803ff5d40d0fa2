// Prefix reuse through the chat backend and the HTTP API: multi-turn replies cut by a stop string
// (possibly in the middle of a token) continue identically with and without reuse, and
// usage.prompt_tokens_details.cached_tokens (non-stream and stream), /health and the project's
// OpenAI client report the reuse.
#include <gtest/gtest.h>
#include <httplib.h>

#include "net/openai_client.hpp"
#include "serve/http_server.hpp"
#include "tiny_model.hpp"

namespace {

using Json = nlohmann::json;
using lw::net::ChatRequest;

std::unique_ptr<lw::serve::LocalBackend> open_tiny(bool prefix_cache) {
  auto o = lw::testing::tiny_options(2);
  o.prefix_cache = prefix_cache;
  o.kv_dtype = lw::engine::DType::f32;
  return lw::serve::open_local_backend(lw::testing::tiny_model_dir(), o);
}

ChatRequest greedy(std::vector<lw::net::ChatMessage> msgs, int64_t max_tokens) {
  ChatRequest r;
  r.messages = std::move(msgs);
  r.temperature = 0.0;
  r.max_tokens = max_tokens;
  return r;
}

// A reply cut by stop strings at several places (some inside a token: the cache then holds the
// whole token, the next prompt's tokenization of the cut text differs), continued as a second turn.
TEST(PrefixServe, StopStringsCuttingMidTokenContinueIdentically) {
  auto on = open_tiny(true), off = open_tiny(false);
  // Longer than the scheduler's 32-token margin, so the continuation prefers the slot holding it.
  const std::vector<lw::net::ChatMessage> first{
      {"user",
       "Tell me a long story about the sea, the lighthouse on the cliff above the harbour, the keeper who "
       "lived there for forty years, the storms he counted every winter, and the ships he saw pass in the night."}};
  const std::string full = off->complete(greedy(first, 24)).content;
  ASSERT_GE(full.size(), 12u);
  int hits = 0;
  for (size_t cut : {full.size() / 3, full.size() / 2, 2 * full.size() / 3}) {
    SCOPED_TRACE(testing::Message() << "cut at " << cut);
    auto req = greedy(first, 24);
    req.stop = {full.substr(cut, 2)};
    auto a = on->complete(req), b = off->complete(req);
    EXPECT_EQ(a.content, b.content);
    EXPECT_EQ(a.finish_reason, "stop");
    EXPECT_LE(a.content.size(), cut);
    auto next = greedy({first[0], {"assistant", a.content}, {"user", "Go on."}}, 12);
    auto c = on->complete(next), d = off->complete(next);
    EXPECT_EQ(c.content, d.content);
    EXPECT_EQ(c.usage.prompt_tokens, d.usage.prompt_tokens);
    EXPECT_EQ(d.usage.cached_tokens, 0);
    EXPECT_LT(c.usage.cached_tokens, c.usage.prompt_tokens);
    hits += c.usage.cached_tokens > 0 ? 1 : 0;
  }
  EXPECT_EQ(hits, 3);  // every continuation reused at least the first turn
  auto stats = on->cache_stats();
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->enabled);
  EXPECT_GT(stats->hits, 0);
  EXPECT_FALSE(off->cache_stats()->enabled);
  EXPECT_EQ(off->cache_stats()->hits, 0);
}

TEST(PrefixServe, CountsTokensWithTheModelsTokenizer) {
  auto b = open_tiny(true);
  auto n = b->count_tokens("Hello there, how are you?");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, static_cast<int64_t>(b->tokenizer().encode("Hello there, how are you?").size()));
}

// The OpenAI usage shape the SDKs read: usage.prompt_tokens_details.cached_tokens, in the
// completion and in the stream's usage chunk; /health counts the reuse.
TEST(PrefixServe, UsageReportsCachedTokensAndHealthCountsReuse) {
  auto backend = open_tiny(true);
  lw::serve::ServerOptions so;
  so.port = 0;
  lw::serve::HttpServer server(*backend, so);
  server.start();
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(60, 0);
  const std::string story =
      "Once upon a time there was a lighthouse keeper who counted the waves every night. He wrote each count "
      "in a blue book, and the books filled a shelf, then a wall, then the whole of the little room under the "
      "lamp, until the harbour master came to ask what all the numbers meant.";
  auto body = [&](const std::string& user, bool stream) {
    Json b = {{"messages", {{{"role", "user"}, {"content", user}}}}, {"max_tokens", 4}, {"temperature", 0}};
    if (stream) {
      b["stream"] = true;
      b["stream_options"] = {{"include_usage", true}};
    }
    return b.dump();
  };
  auto first = cli.Post("/v1/chat/completions", body(story, false), "application/json");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  Json u1 = Json::parse(first->body)["usage"];
  EXPECT_EQ(u1["prompt_tokens_details"]["cached_tokens"], 0);

  auto second = cli.Post("/v1/chat/completions", body(story + " One night", false), "application/json");
  ASSERT_TRUE(second);
  Json u2 = Json::parse(second->body)["usage"];
  const int64_t cached = u2["prompt_tokens_details"]["cached_tokens"].get<int64_t>();
  EXPECT_GT(cached, 40);
  EXPECT_LT(cached, u2["prompt_tokens"].get<int64_t>());

  auto streamed = cli.Post("/v1/chat/completions", body(story + " One night the sea", true), "application/json");
  ASSERT_TRUE(streamed);
  Json usage_chunk;
  for (size_t p = streamed->body.find("data: {"); p != std::string::npos; p = streamed->body.find("data: {", p + 1)) {
    Json j = Json::parse(streamed->body.substr(p + 6, streamed->body.find("\n\n", p) - p - 6));
    if (j.contains("usage")) usage_chunk = j;
  }
  ASSERT_TRUE(usage_chunk.contains("usage")) << streamed->body;
  EXPECT_GE(usage_chunk["usage"]["prompt_tokens_details"]["cached_tokens"].get<int64_t>(), cached);

  // The project's client reads it too (as the OpenAI SDKs do, from the same field).
  lw::net::ClientOptions co;
  co.base_urls = {"http://127.0.0.1:" + std::to_string(server.port()) + "/v1"};
  co.max_retries = 0;
  lw::net::OpenAIClient client(co);
  auto r = client.complete(greedy({{"user", story + " One night"}}, 4));
  EXPECT_GT(r.usage.cached_tokens, 40);
  std::string text;
  auto rs = client.complete(greedy({{"user", story + " One night"}}, 4), [&](std::string_view d) { text += d; });
  EXPECT_GT(rs.usage.cached_tokens, 40);

  auto health = cli.Get("/health");
  ASSERT_TRUE(health);
  Json h = Json::parse(health->body)["prefix_cache"];
  EXPECT_EQ(h["enabled"], true);
  EXPECT_EQ(h["requests"], 5);
  EXPECT_EQ(h["hits"], 4);
  EXPECT_DOUBLE_EQ(h["hit_rate"].get<double>(), 0.8);
  EXPECT_GT(h["cached_tokens"].get<int64_t>(), 4 * 40);
  EXPECT_GT(h["cached_token_rate"].get<double>(), 0.5);
  Json kv = Json::parse(health->body)["kv_cache"];  // 2 layers x (k, v) x kv_dim 16 x 4 bytes per token
  EXPECT_EQ(kv["type"], "f32");
  EXPECT_EQ(kv["bytes_per_token"], 2 * 2 * 16 * 4);
  EXPECT_EQ(kv["bytes"].get<int64_t>() % 256, 0);
  EXPECT_GT(kv["bytes"].get<int64_t>(), 0);
  // Written: each slot's longest sequence, every request's prompt more than 40 tokens.
  EXPECT_EQ(kv["written_bytes"].get<int64_t>() % 256, 0);
  EXPECT_GE(kv["written_bytes"].get<int64_t>(), 40 * 256);
  EXPECT_LE(kv["written_bytes"].get<int64_t>(), kv["bytes"].get<int64_t>());
  server.stop();
}

}  // namespace
