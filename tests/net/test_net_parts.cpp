// The client's pure parts: SSE parsing, Retry-After, backoff, the OpenAI JSON, URL and key helpers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "net/errors.hpp"
#include "net/openai_client.hpp"
#include "net/openai_json.hpp"
#include "net/retry.hpp"
#include "net/sse.hpp"
#include "util/log.hpp"

namespace {

using namespace lw::net;

std::vector<std::string> parse_sse_in_pieces(const std::string& input, size_t piece) {
  std::vector<std::string> events;
  SseParser p([&](const std::string& d) {
    events.push_back(d);
    return true;
  });
  for (size_t i = 0; i < input.size(); i += piece) p.feed(std::string_view(input).substr(i, piece));
  p.finish();
  return events;
}

TEST(Sse, EventsSurviveAnySplitAndLineEnding) {
  std::string lf = ": keep-alive\nevent: message\ndata: {\"a\":1}\n\ndata: two\ndata: lines\nid: 7\n\ndata:[DONE]\n\n";
  std::string crlf, cr;
  for (char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);

  for (char c : lf) cr += c == '\n' ? '\r' : c;
  const std::vector<std::string> want = {"{\"a\":1}", "two\nlines", "[DONE]"};
  for (const std::string* input : {&lf, &crlf, &cr}) {
    for (size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
      EXPECT_EQ(parse_sse_in_pieces(*input, piece), want) << "piece " << piece;
    }
  }
}

TEST(Sse, LastEventWithoutBlankLineIsDeliveredAtFinish) {
  EXPECT_EQ(parse_sse_in_pieces("data: x\n\ndata: tail", 4), (std::vector<std::string>{"x", "tail"}));
}

TEST(Sse, StopsWhenTheHandlerSaysSo) {
  int n = 0;
  SseParser p([&](const std::string&) { return ++n < 2; });
  EXPECT_FALSE(p.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n"));
  EXPECT_EQ(n, 2);
}

TEST(Sse, OversizedEventIsAProtocolError) {
  SseParser p([](const std::string&) { return true; }, 100);
  EXPECT_THROW(p.feed("data: " + std::string(200, 'x')), ProtocolError);
}

TEST(RetryAfter, SecondsAndDates) {
  EXPECT_EQ(parse_retry_after("3", 0), 3.0);
  EXPECT_EQ(parse_retry_after(" 1.5 \r", 0), 1.5);
  EXPECT_EQ(parse_retry_after("", 0), std::nullopt);
  EXPECT_EQ(parse_retry_after("soon", 0), std::nullopt);
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0 - 10), 10.0);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0 + 10), 0.0);
}

TEST(Backoff, GrowsExponentiallyWithJitterUpToTheCap) {
  std::mt19937_64 rng(1);
  for (int attempt = 0; attempt < 12; ++attempt) {
    double ceiling = std::min(30.0, 0.5 * (1 << attempt));
    for (int i = 0; i < 50; ++i) {
      double d = backoff_delay_s(attempt, 0.5, 30.0, rng);
      EXPECT_GE(d, ceiling / 2);
      EXPECT_LE(d, ceiling);
    }
  }
  // Jitter: not every draw is the same.
  double a = backoff_delay_s(3, 0.5, 30, rng), b = backoff_delay_s(3, 0.5, 30, rng);
  EXPECT_NE(a, b);
}

TEST(Retryable, Statuses) {
  for (int s : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(is_retryable_status(s)) << s;
  for (int s : {400, 401, 403, 404, 422}) EXPECT_FALSE(is_retryable_status(s)) << s;
}

TEST(ContextLength, RecognisesServerWordings) {
  EXPECT_TRUE(is_context_length_message("This model's maximum context length is 4096 tokens."));
  EXPECT_TRUE(is_context_length_message("prompt is longer than the model's Context Length"));
  EXPECT_FALSE(is_context_length_message("temperature must be >= 0"));
}

TEST(OpenAIJson, ParsesCompletionAndErrors) {
  auto r = parse_completion(R"({"model":"m","choices":[{"message":{"content":"hi"},"finish_reason":"length"}],
                                "usage":{"prompt_tokens":3,"completion_tokens":4}})");
  EXPECT_EQ(r.content, "hi");
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.usage.total_tokens, 7);
  EXPECT_EQ(r.model, "m");
  auto nullc = parse_completion(R"({"choices":[{"message":{"content":null},"finish_reason":"stop"}]})");
  EXPECT_EQ(nullc.content, "");
  EXPECT_THROW(parse_completion("{}"), ProtocolError);
  EXPECT_THROW(parse_completion("not json"), ProtocolError);
  EXPECT_EQ(extract_error_message(R"({"error":{"message":"bad model","code":"model_not_found"}})"), "bad model");
  EXPECT_EQ(extract_error_code(R"({"error":{"message":"x","code":"context_length_exceeded"}})"),
            "context_length_exceeded");
  EXPECT_EQ(extract_error_message(R"({"detail":"Not Found"})"), "Not Found");
  EXPECT_EQ(extract_error_message("plain text\n"), "plain text");
  EXPECT_EQ(extract_error_message(std::string(1000, 'x'), 10), "xxxxxxxxxx...");
}

TEST(OpenAIJson, StreamChunks) {
  auto c = parse_stream_chunk(R"({"choices":[{"delta":{"content":"ab"},"finish_reason":null}]})");
  EXPECT_EQ(c.delta, "ab");
  EXPECT_EQ(c.finish_reason, "");
  EXPECT_FALSE(c.has_usage);
  auto u = parse_stream_chunk(R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})");
  EXPECT_TRUE(u.has_usage);
  EXPECT_EQ(u.usage.completion_tokens, 2);
  EXPECT_TRUE(parse_stream_chunk(R"({"error":{"message":"boom"}})").is_error);
  EXPECT_THROW(parse_stream_chunk("[1,2"), ProtocolError);
}

TEST(OpenAIJson, InvalidUtf8InPromptIsReplacedNotFatal) {
  ChatRequest req;
  req.messages = {{"user", std::string("bad \xff byte")}};
  auto body = build_request_body(req, "m", false, false);
  EXPECT_NO_THROW(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

TEST(ClientConfig, BaseUrlLists) {
  EXPECT_EQ(split_base_urls("http://a:1/v1/, https://b/v1"),
            (std::vector<std::string>{"http://a:1/v1", "https://b/v1"}));
  EXPECT_THROW(split_base_urls(" , "), lw::InputError);
  EXPECT_THROW(split_base_urls("a:8000/v1"), lw::InputError);
  EXPECT_EQ(display_url("http://user:pw@host:8/v1"), "http://host:8/v1");
  EXPECT_EQ(display_url("http://host:8/v1?x=a@b"), "http://host:8/v1?x=a@b");
}

TEST(ClientConfig, ApiKeyFromFileIsTrimmedAndRedacted) {
  auto path = std::filesystem::temp_directory_path() / "lw_test_api_key.txt";
  std::ofstream(path) << "  sk-from-file-93b1\n";
  EXPECT_EQ(load_api_key(path.string()), "sk-from-file-93b1");
  EXPECT_EQ(lw::log::redact("k sk-from-file-93b1"), "k ***");
  std::ofstream(path) << "\n";
  EXPECT_THROW(load_api_key(path.string()), lw::InputError);
  std::filesystem::remove(path);
  EXPECT_THROW(load_api_key(path.string()), lw::InputError);
}

TEST(ClientConfig, BadOptionsAreInputErrors) {
  ClientOptions o;
  EXPECT_THROW(OpenAIClient{o}, lw::InputError);  // no URL
  o.base_urls = {"http://127.0.0.1:1/v1"};
  o.concurrency = 0;
  EXPECT_THROW(OpenAIClient{o}, lw::InputError);
}

}  // namespace
