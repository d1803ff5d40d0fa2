// OpenAIClient fault handling against the fake server on 127.0.0.1: retries, Retry-After,
// timeouts, failover, errors that must not be retried, and the API key kept out of logs and errors.
#include <gtest/gtest.h>

#include <mutex>

#include "net/errors.hpp"
#include "net/openai_client.hpp"
#include "support/fake_client.hpp"
#include "support/fake_openai.hpp"
#include "util/log.hpp"

namespace {

using lw::net::ChatRequest;
using lw::net::ClientOptions;
using lw::net::OpenAIClient;
using lw::testing::FakeOpenAIServer;
using lw::testing::FakeReply;
using lw::testing::FakeRequest;
using lw::testing::fast_client_options;
using lw::testing::user_message;

FakeReply ok(const std::string& content) {
  FakeReply r;
  r.content = content;
  return r;
}

FakeReply error(int status, const std::string& message) {
  FakeReply r;
  r.status = status;
  r.error_message = message;
  return r;
}

// Log lines captured through lw::log::set_sink.
std::mutex g_lines_mu;
std::vector<std::string> g_lines;
void capture(lw::log::Level, const std::string& line) {
  std::lock_guard lk(g_lines_mu);
  g_lines.push_back(line);
}
std::vector<std::string> captured() {
  std::lock_guard lk(g_lines_mu);
  return g_lines;
}

// A URL on which nothing listens: a server started and stopped again.
std::string dead_url() {
  FakeOpenAIServer srv([](const FakeRequest&) { return ok(""); });
  std::string url = srv.base_url();
  srv.stop();
  return url;
}

TEST(ClientFaults, RetryAfterOn429ThenSuccess) {
  FakeOpenAIServer srv([](const FakeRequest& r) {
    if (r.index == 0) {
      FakeReply rep = error(429, "rate limited");
      rep.headers = {{"Retry-After", "1"}};
      return rep;
    }
    return ok("after the wait");
  });
  auto o = fast_client_options(srv.base_url());
  o.backoff_cap_s = 0.001;  // a retry that waited long can only have come from Retry-After
  OpenAIClient client(o);
  g_lines.clear();
  lw::log::set_sink(capture);
  auto r = client.complete(user_message("x"));
  lw::log::set_sink(nullptr);
  EXPECT_EQ(r.content, "after the wait");
  EXPECT_EQ(srv.request_count(), 2);
  EXPECT_EQ(client.retries(), 1);
  // The wait came from Retry-After (1 s), not from the 1 ms backoff.
  auto lines = captured();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("HTTP 429: \"rate limited\"; retry 1/3 in 1.00 s (Retry-After)"), std::string::npos)
      << lines[0];
}

TEST(ClientFaults, Two500sThenSuccess) {
  FakeOpenAIServer srv([](const FakeRequest& r) {
    return r.index < 2 ? error(500, "internal error") : ok("third time lucky");
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  auto r = client.complete(user_message("x"));
  EXPECT_EQ(r.content, "third time lucky");
  EXPECT_EQ(srv.request_count(), 3);
  EXPECT_EQ(client.retries(), 2);
}

TEST(ClientFaults, Two500sThenSuccessWhileStreaming) {
  FakeOpenAIServer srv([](const FakeRequest& r) { return r.index < 2 ? error(503, "busy") : ok("streamed"); });
  OpenAIClient client(fast_client_options(srv.base_url()));
  std::string got;
  auto r = client.complete(user_message("x"), [&](std::string_view d) { got.append(d); });
  EXPECT_EQ(got, "streamed");
  EXPECT_EQ(r.content, "streamed");
  EXPECT_EQ(srv.request_count(), 3);
}

TEST(ClientFaults, RetriesRunOutOn503) {
  FakeOpenAIServer srv([](const FakeRequest&) { return error(503, "overloaded, try later"); });
  auto o = fast_client_options(srv.base_url());
  o.max_retries = 2;
  OpenAIClient client(o);
  try {
    client.complete(user_message("x"));
    FAIL() << "expected HttpStatusError";
  } catch (const lw::net::HttpStatusError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.server_message(), "overloaded, try later");
    EXPECT_NE(std::string(e.what()).find("overloaded, try later"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 attempts"), std::string::npos) << e.what();
  }
  EXPECT_EQ(srv.request_count(), 3);
}

TEST(ClientFaults, HungServerHitsTheTimeout) {
  FakeOpenAIServer srv([](const FakeRequest&) {
    FakeReply r;
    r.hang = true;
    return r;
  });
  auto o = fast_client_options(srv.base_url());
  o.timeout_s = 1;
  o.max_retries = 1;
  OpenAIClient client(o);
  EXPECT_THROW(client.complete(user_message("x")), lw::net::TimeoutError);
  EXPECT_EQ(srv.request_count(), 2);  // timeouts are retried
}

TEST(ClientFaults, ConnectionRefusedFailsOverToTheSecondUrl) {
  FakeOpenAIServer srv([](const FakeRequest&) { return ok("from the live one"); });
  OpenAIClient client(fast_client_options(dead_url() + "," + srv.base_url()));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(client.complete(user_message("x")).content, "from the live one");
  EXPECT_EQ(srv.request_count(), 4);
  EXPECT_EQ(client.retries(), 0);  // failover is not a retry
}

TEST(ClientFaults, AllUrlsRefusingIsAConnectError) {
  auto o = fast_client_options(dead_url() + "," + dead_url());
  o.max_retries = 1;
  OpenAIClient client(o);
  try {
    client.complete(user_message("x"));
    FAIL() << "expected ConnectError";
  } catch (const lw::net::ConnectError& e) {
    EXPECT_NE(std::string(e.what()).find("none of the 2 base URLs"), std::string::npos) << e.what();
  }
  EXPECT_EQ(client.attempts(), 4);  // 2 URLs x (1 try + 1 retry)
}

TEST(ClientFaults, RoundRobinSpreadsRequests) {
  FakeOpenAIServer a([](const FakeRequest&) { return ok("a"); });
  FakeOpenAIServer b([](const FakeRequest&) { return ok("b"); });
  OpenAIClient client(fast_client_options(a.base_url() + "," + b.base_url()));
  for (int i = 0; i < 10; ++i) client.complete(user_message("x"));
  EXPECT_EQ(a.request_count(), 5);
  EXPECT_EQ(b.request_count(), 5);
}

TEST(ClientFaults, Unauthorized401IsImmediateAndClear) {
  FakeOpenAIServer srv([](const FakeRequest&) { return error(401, "Invalid authentication credentials"); });
  OpenAIClient client(fast_client_options(srv.base_url()));
  try {
    client.complete(user_message("x"));
    FAIL() << "expected AuthError";
  } catch (const lw::net::AuthError& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.status(), 401);
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(msg.find("401"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Invalid authentication credentials"), std::string::npos) << msg;
    EXPECT_NE(msg.find("OPENAI_API_KEY"), std::string::npos) << msg;
  }
  EXPECT_EQ(srv.request_count(), 1);
  EXPECT_EQ(client.retries(), 0);
}

TEST(ClientFaults, ClientErrorsAreNotRetried) {
  for (int status : {400, 403, 404}) {
    FakeOpenAIServer srv([&](const FakeRequest&) { return error(status, "no good"); });
    OpenAIClient client(fast_client_options(srv.base_url()));
    try {
      client.complete(user_message("x"));
      FAIL() << "expected HttpStatusError for " << status;
    } catch (const lw::net::ContextLengthError&) {
      FAIL() << "not a context-length error";
    } catch (const lw::net::HttpStatusError& e) {
      EXPECT_EQ(e.status(), status);
      EXPECT_NE(std::string(e.what()).find("\"no good\""), std::string::npos) << e.what();
    }
    EXPECT_EQ(srv.request_count(), 1) << status;
  }
}

TEST(ClientFaults, ContextLengthIsItsOwnError) {
  FakeOpenAIServer srv([](const FakeRequest&) {
    return error(400, "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.");
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  try {
    client.complete(user_message("x"));
    FAIL() << "expected ContextLengthError";
  } catch (const lw::net::ContextLengthError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_NE(std::string(e.what()).find("context window"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("8192"), std::string::npos) << e.what();
  }
  EXPECT_EQ(srv.request_count(), 1);
}

TEST(ClientFaults, OversizedReplyIsRefused) {
  FakeOpenAIServer srv([](const FakeRequest&) { return ok(std::string(5000, 'w')); });
  auto o = fast_client_options(srv.base_url());
  o.max_response_bytes = 1000;
  OpenAIClient client(o);
  EXPECT_THROW(client.complete(user_message("x")), lw::net::ProtocolError);
  EXPECT_THROW(client.complete(user_message("x"), [](std::string_view) {}), lw::net::ProtocolError);
  EXPECT_EQ(srv.request_count(), 2);
}

TEST(ClientFaults, MalformedReplyIsAProtocolError) {
  FakeOpenAIServer srv([](const FakeRequest&) {
    FakeReply r;
    r.raw_body = "<html>not json</html>";
    return r;
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  EXPECT_THROW(client.complete(user_message("x")), lw::net::ProtocolError);
}

TEST(ClientFaults, StreamCutBeforeDoneIsRetried) {
  FakeOpenAIServer srv([](const FakeRequest& r) {
    FakeReply rep;
    if (r.index == 0) {
      rep.raw_body = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n";  // then closes
    } else {
      rep.content = "whole";
    }
    return rep;
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  std::string got;
  auto r = client.complete(user_message("x"), [&](std::string_view d) { got.append(d); });
  EXPECT_EQ(got, "whole");
  EXPECT_EQ(srv.request_count(), 2);
}

TEST(ClientFaults, StreamBrokenAfterTextIsNotRetried) {
  FakeOpenAIServer srv([](const FakeRequest&) {
    FakeReply rep;
    rep.raw_body = "data: {\"choices\":[{\"delta\":{\"content\":\"half a\"}}]}\n\n";
    return rep;
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  std::string got;
  try {
    client.complete(user_message("x"), [&](std::string_view d) { got.append(d); });
    FAIL() << "expected ProtocolError";
  } catch (const lw::net::ProtocolError& e) {
    EXPECT_TRUE(e.retryable());  // the caller may start over
    EXPECT_NE(std::string(e.what()).find("not retried"), std::string::npos) << e.what();
  }
  EXPECT_EQ(got, "half a");  // delivered once, never duplicated
  EXPECT_EQ(srv.request_count(), 1);
}

TEST(ClientFaults, ServerIgnoringStreamStillDeliversTheText) {
  FakeOpenAIServer srv([](const FakeRequest&) {
    FakeReply rep;
    rep.raw_body = R"({"choices":[{"message":{"content":"all at once"},"finish_reason":"stop"}]})";
    return rep;
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  std::string got;
  auto r = client.complete(user_message("x"), [&](std::string_view d) { got.append(d); });
  EXPECT_EQ(got, "all at once");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(srv.request_count(), 1);
}

TEST(ClientFaults, ErrorEventInsideTheStream) {
  FakeOpenAIServer srv([](const FakeRequest&) {
    FakeReply rep;
    rep.raw_body = "data: {\"error\":{\"message\":\"maximum context length exceeded\"}}\n\n";
    return rep;
  });
  OpenAIClient client(fast_client_options(srv.base_url()));
  EXPECT_THROW(client.complete(user_message("x"), [](std::string_view) {}), lw::net::ContextLengthError);
  EXPECT_EQ(srv.request_count(), 1);
}

TEST(ClientFaults, CallbackExceptionPropagatesUnretried) {
  FakeOpenAIServer srv([](const FakeRequest&) { return ok("some text to stream"); });
  OpenAIClient client(fast_client_options(srv.base_url()));
  EXPECT_THROW(client.complete(user_message("x"), [](std::string_view) { throw std::runtime_error("stop here"); }),
               std::runtime_error);
  EXPECT_EQ(srv.request_count(), 1);
  EXPECT_EQ(client.complete(user_message("x")).content, "some text to stream");  // the client is still usable
}

// ---- the API key never leaves through logs or errors ----


TEST(ClientFaults, ApiKeyNeverInLogsOrErrors) {
  const std::string key = "sk-secret-4f1c9a7e2b-never-print-me";
  FakeOpenAIServer srv([&](const FakeRequest& r) {
    std::string u = lw::testing::last_user_message(r.body);
    if (u == "echo-key-401") return error(401, "Incorrect API key provided: " + key);
    if (u == "echo-key-500") return error(500, "backend failed for key " + key);
    if (u == "retry" && r.index % 2 == 0) {
      FakeReply rep = error(429, "slow down " + key);
      rep.headers = {{"Retry-After", "0"}};
      return rep;
    }
    return ok("fine");
  });
  g_lines.clear();
  lw::log::set_sink(capture);
  lw::log::set_level(lw::log::Level::debug);
  std::vector<std::string> errors;
  {
    auto o = fast_client_options(srv.base_url());
    o.api_key = key;
    o.max_retries = 1;
    OpenAIClient client(o);
    EXPECT_EQ(lw::log::redact("key=" + key), "key=***");  // the client registered the key
    client.complete(user_message("retry"));
    client.complete(user_message("plain"), [](std::string_view) {});
    for (const char* p : {"echo-key-401", "echo-key-500"}) {
      try {
        client.complete(user_message(p));
      } catch (const lw::net::HttpStatusError& e) {
        errors.push_back(e.what());
        errors.push_back(e.server_message());
      }
    }
    errors.push_back(client.describe());
  }
  lw::log::set_sink(nullptr);
  lw::log::set_level(lw::log::Level::info);
  EXPECT_EQ(srv.requests().front().authorization, "Bearer " + key);  // the key was really used
  ASSERT_EQ(errors.size(), 5u);
  for (const auto& e : errors) EXPECT_EQ(e.find(key), std::string::npos) << e;
  EXPECT_NE(errors[0].find("Incorrect API key provided: ***"), std::string::npos) << errors[0];
  auto lines = captured();
  EXPECT_GE(lines.size(), 5u);  // debug lines for each request, info lines for the retries
  for (const auto& l : lines) EXPECT_EQ(l.find(key), std::string::npos) << l;
}

}  // namespace
