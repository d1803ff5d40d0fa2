// Who may talk to `serve` (issues 26 and 27): the Host check against DNS rebinding, JSON-only POST
// bodies, CORS only when asked for, API keys (OpenAI's 401 body), and keys never reaching the log.
// The pure checks are tested directly, then a server on the tiny model is reached over HTTP.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "net/openai_client.hpp"
#include "serve/auth.hpp"
#include "serve/cors.hpp"
#include "serve/host_check.hpp"
#include "serve/http_server.hpp"
#include "serve/request_guard.hpp"
#include "tiny_model.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using lw::serve::host_allowed;
using lw::serve::HostPolicy;

// ---- the pure checks ----

TEST(HostCheck, LoopbackBindAcceptsOnlyLocalNamesAndAllowedOnes) {
  const HostPolicy p{"127.0.0.1", {"writer.lan"}};
  for (const char* ok : {"localhost", "LOCALHOST:8080", "localhost.", "127.0.0.1", "127.0.0.1:41234", "[::1]",
                         "[::1]:8080", "writer.lan", "Writer.Lan:8080", ""})
    EXPECT_TRUE(host_allowed(ok, p)) << ok;
  for (const char* bad :
       {"attacker.example", "attacker.example:8080", "127.0.0.1.nip.io", "localhost.attacker.example",
        "192.168.1.5", "192.168.1.5:8080", "[fe80::1]", "[::1", "::1", "localhost:http", "a b",
        "writer.lan.attacker.example", "localhost:99999999"})
    EXPECT_FALSE(host_allowed(bad, p)) << bad;
}

TEST(HostCheck, NonLoopbackBindAlsoAcceptsIpLiteralsButNamesOnlyWhenAllowed) {
  const HostPolicy any{"0.0.0.0", {"gpu-box"}};
  for (const char* ok :
       {"192.168.1.5:8080", "10.0.0.7", "[fe80::1]:8080", "[2001:db8::2]", "localhost", "gpu-box:8080"})
    EXPECT_TRUE(host_allowed(ok, any)) << ok;
  for (const char* bad : {"attacker.example", "gpu-box.attacker.example", "printer:8080"})
    EXPECT_FALSE(host_allowed(bad, any)) << bad;
  const HostPolicy lan{"192.168.1.5", {}};
  EXPECT_TRUE(host_allowed("192.168.1.5:8080", lan));
  EXPECT_FALSE(host_allowed("attacker.example", lan));
  // "*" turns the check off.
  EXPECT_TRUE(host_allowed("attacker.example", HostPolicy{"127.0.0.1", {"*"}}));
  EXPECT_TRUE(lw::serve::is_loopback_host("127.0.0.2"));
  EXPECT_TRUE(lw::serve::is_loopback_host("::1"));
  EXPECT_FALSE(lw::serve::is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(lw::serve::is_loopback_host("::"));
}

TEST(Auth, KeyFileLinesCommentsAndBearerMatching) {
  auto keys = lw::serve::ApiKeys::parse(
      "# keys for the team\n\n  sk-team-one-0123456789  \r\nsk-team-two-abcdefghij\n# end\n", "keys.txt");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], "sk-team-one-0123456789");
  EXPECT_EQ(keys[1], "sk-team-two-abcdefghij");
  EXPECT_THROW(lw::serve::ApiKeys::parse("sk-has space-inside\n", "keys.txt"), lw::InputError);
  lw::serve::ApiKeys k(keys);
  EXPECT_TRUE(k.authorized("Bearer sk-team-one-0123456789"));
  EXPECT_TRUE(k.authorized("bearer sk-team-two-abcdefghij"));
  for (const char* bad :
       {"", "Bearer", "Bearer ", "Bearer sk-team-one-012345678", "Bearer sk-team-one-0123456789x",
        "Basic sk-team-one-0123456789", "sk-team-one-0123456789", "Bearer sk-team-two-abcdefghiJ"})
    EXPECT_FALSE(k.authorized(bad)) << bad;
  EXPECT_FALSE(lw::serve::ApiKeys().enabled());
  EXPECT_TRUE(lw::serve::constant_time_equal("abc", "abc"));
  EXPECT_FALSE(lw::serve::constant_time_equal("abc", "abd"));
  EXPECT_FALSE(lw::serve::constant_time_equal("abcabc", "abc"));  // cycling must not make a repeat equal
  EXPECT_FALSE(lw::serve::constant_time_equal("", "abc"));
  // Loading a key registers it with the log's redaction.
  EXPECT_EQ(lw::log::redact("key sk-team-one-0123456789"), "key ***");
}

TEST(Auth, UnauthorizedBodyHasOpenAisShape) {
  const Json j = lw::serve::unauthorized_json(false);
  ASSERT_TRUE(j["error"].is_object());
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(j["error"]["param"].is_null());
  EXPECT_EQ(j["error"]["code"], "invalid_api_key");
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_EQ(j["error"].size(), 4u);
}

TEST(Cors, OriginsAndJsonMediaTypes) {
  lw::serve::CorsPolicy none;
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.allow_origin("https://app.example.com"), "");
  lw::serve::CorsPolicy some({"https://App.example.com/", "http://localhost:3000"});
  EXPECT_EQ(some.allow_origin("https://app.example.com"), "https://app.example.com");
  EXPECT_EQ(some.allow_origin("http://localhost:3000"), "http://localhost:3000");
  EXPECT_EQ(some.allow_origin("http://localhost:3001"), "");
  EXPECT_EQ(some.allow_origin("https://app.example.com.attacker.example"), "");
  EXPECT_EQ(lw::serve::CorsPolicy({"*"}).allow_origin("https://any.example"), "*");
  EXPECT_THROW(lw::serve::CorsPolicy({"app.example.com"}), lw::InputError);
  using lw::serve::is_json_media_type;
  EXPECT_TRUE(is_json_media_type("application/json"));
  EXPECT_TRUE(is_json_media_type("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(is_json_media_type("text/plain"));
  EXPECT_FALSE(is_json_media_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_json_media_type("multipart/form-data; boundary=x"));
  EXPECT_FALSE(is_json_media_type("application/jsonx"));
  EXPECT_FALSE(is_json_media_type(""));
}

TEST(AccessWarnings, ExposedBindWithoutKeyIsWarnedAbout) {
  lw::serve::AccessPolicy open;
  EXPECT_TRUE(lw::serve::exposure_warnings("127.0.0.1", open).empty());
  EXPECT_TRUE(lw::serve::exposure_warnings("localhost", open).empty());
  auto w = lw::serve::exposure_warnings("0.0.0.0", open);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("without an API key"), std::string::npos);
  EXPECT_EQ(lw::serve::exposure_warnings("192.168.1.5", open).size(), 1u);
  lw::serve::AccessPolicy keyed;
  keyed.keys = lw::serve::ApiKeys({"sk-lw-test-warn-0123456789"});
  EXPECT_TRUE(lw::serve::exposure_warnings("0.0.0.0", keyed).empty());
  keyed.metrics_public = true;
  EXPECT_EQ(lw::serve::exposure_warnings("0.0.0.0", keyed).size(), 1u);
  lw::serve::AccessPolicy any_origin;
  any_origin.cors = lw::serve::CorsPolicy({"*"});
  EXPECT_EQ(lw::serve::exposure_warnings("127.0.0.1", any_origin).size(), 1u);
}

// ---- over HTTP, on the tiny model ----

std::vector<std::string> g_log;
void capture(lw::log::Level, const std::string& line) {
  g_log.push_back(line);
}

const std::string kKeyOne = "sk-lw-test-Q3rT9vW2xY7zA1bC";
const std::string kKeyTwo = "sk-lw-test-M4nP8kL6jH5gF0dS";

class Access : public ::testing::Test {
 protected:
  void start(lw::serve::AccessPolicy access) {
    backend_ = lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options(2));
    lw::serve::ServerOptions o;
    o.port = 0;
    o.model_name = "tiny";
    o.access = std::move(access);
    server_ = std::make_unique<lw::serve::HttpServer>(*backend_, o);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60, 0);
    return c;
  }
  static std::string body() {
    return R"({"messages":[{"role":"user","content":"Hello"}],"max_tokens":3,"temperature":0})";
  }
  int post(const std::string& content_type, const httplib::Headers& h = {}) {
    auto res = client().Post("/v1/chat/completions", h, body(), content_type.c_str());
    return res ? res->status : -1;
  }
  std::unique_ptr<lw::serve::LocalBackend> backend_;
  std::unique_ptr<lw::serve::HttpServer> server_;
};

TEST_F(Access, RebindingHostIs403AndLocalOrAllowedHostsAre200) {
  lw::serve::AccessPolicy a;
  a.hosts.allowed = {"writer.lan"};
  start(std::move(a));
  const std::string port = std::to_string(server_->port());
  auto get = [&](const std::string& host) {
    auto res = client().Get("/v1/models", {{"Host", host}});
    return res ? res->status : -1;
  };
  EXPECT_EQ(get("attacker.example"), 403);
  EXPECT_EQ(get("attacker.example:" + port), 403);
  EXPECT_EQ(get("127.0.0.1.nip.io:" + port), 403);
  EXPECT_EQ(get("localhost"), 200);
  EXPECT_EQ(get("localhost:" + port), 200);
  EXPECT_EQ(get("127.0.0.1:" + port), 200);
  EXPECT_EQ(get("[::1]:" + port), 200);
  EXPECT_EQ(get("writer.lan:" + port), 200);
  EXPECT_EQ(client().Get("/v1/models")->status, 200);  // httplib's own Host: 127.0.0.1:PORT
  // The refusal is an OpenAI error object, and a POST is refused the same way.
  auto res =
      client().Post("/v1/chat/completions", {{"Host", "attacker.example"}}, body(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], "host_not_allowed");
}

TEST_F(Access, PostsThatAreNotJsonAre415AndNoCorsHeadersByDefault) {
  start({});
  EXPECT_EQ(post("text/plain"), 415);
  EXPECT_EQ(post("application/x-www-form-urlencoded"), 415);
  EXPECT_EQ(post("multipart/form-data; boundary=----x"), 415);
  EXPECT_EQ(post("application/json; charset=utf-8"), 200);
  EXPECT_EQ(post("application/json"), 200);
  auto res = client().Post("/v1/chat/completions", body(), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], "unsupported_media_type");

  // No CORS header on replies, on errors or on a preflight.
  const httplib::Headers from_page{{"Origin", "https://attacker.example"}};
  auto check_no_cors = [](const httplib::Result& r) {
    ASSERT_TRUE(r);
    for (const auto& [k, v] : r->headers)
      EXPECT_EQ(k.rfind("Access-Control-", 0), std::string::npos) << k << ": " << v;
  };
  check_no_cors(client().Get("/health", from_page));
  check_no_cors(client().Post("/v1/chat/completions", from_page, body(), "application/json"));
  check_no_cors(client().Post("/v1/chat/completions", from_page, body(), "text/plain"));
  httplib::Headers preflight = from_page;
  preflight.emplace("Access-Control-Request-Method", "POST");
  preflight.emplace("Access-Control-Request-Headers", "content-type");
  auto pf = client().Options("/v1/chat/completions", preflight);
  check_no_cors(pf);
  EXPECT_EQ(pf->status, 204);
}

TEST_F(Access, CorsOriginGetsItsPreflightAndAllowOriginOnReplies) {
  lw::serve::AccessPolicy a;
  a.cors = lw::serve::CorsPolicy({"http://localhost:3000"});
  a.keys = lw::serve::ApiKeys({kKeyOne});
  start(std::move(a));
  httplib::Headers preflight{{"Origin", "http://localhost:3000"},
                             {"Access-Control-Request-Method", "POST"},
                             {"Access-Control-Request-Headers", "authorization, content-type"}};
  auto pf = client().Options("/v1/chat/completions", preflight);  // no key on a preflight: still granted
  ASSERT_TRUE(pf);
  EXPECT_EQ(pf->status, 204);
  EXPECT_EQ(pf->get_header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_NE(pf->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  const std::string allowed = pf->get_header_value("Access-Control-Allow-Headers");
  EXPECT_NE(allowed.find("Authorization"), std::string::npos) << allowed;
  EXPECT_NE(allowed.find("Content-Type"), std::string::npos) << allowed;
  EXPECT_EQ(pf->get_header_value("Access-Control-Max-Age"), "600");

  const httplib::Headers page{{"Origin", "http://localhost:3000"}, {"Authorization", "Bearer " + kKeyOne}};
  auto res = client().Post("/v1/chat/completions", page, body(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
  // An error the page must be able to read carries it too.
  res = client().Post("/v1/chat/completions", {{"Origin", "http://localhost:3000"}}, body(),
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("Access-Control-Allow-Origin"), "http://localhost:3000");
  // Another origin gets nothing.
  res = client().Post("/v1/chat/completions",
                      {{"Origin", "http://localhost:3001"}, {"Authorization", "Bearer " + kKeyOne}}, body(),
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(res->get_header_value("Vary"), "Origin");
  preflight.erase("Origin");
  preflight.emplace("Origin", "http://localhost:3001");
  pf = client().Options("/v1/chat/completions", preflight);
  ASSERT_TRUE(pf);
  EXPECT_FALSE(pf->has_header("Access-Control-Allow-Origin"));
}

fs::path write_key_file() {
  const fs::path f = fs::temp_directory_path() / ("lw_keys_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(f) << "# two keys\n" << kKeyOne << "\n\n" << kKeyTwo << "\n";
  return f;
}

TEST_F(Access, KeysFromAFileOf2Are401WithoutAnd200WithEach) {
  const fs::path file = write_key_file();
  lw::serve::AccessPolicy a;
  a.keys = lw::serve::ApiKeys::load(file, nullptr);
  fs::remove(file);
  ASSERT_EQ(a.keys.size(), 2u);
  g_log.clear();
  const auto saved_level = lw::log::level();
  lw::log::set_level(lw::log::Level::debug);
  lw::log::set_sink(&capture);
  start(std::move(a));

  auto res = client().Post("/v1/chat/completions", body(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
  Json e = Json::parse(res->body);
  EXPECT_EQ(e["error"]["code"], "invalid_api_key");
  EXPECT_EQ(e["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(e["error"].contains("param") && e["error"]["param"].is_null());
  res = client().Post("/v1/chat/completions", {{"Authorization", "Bearer " + kKeyOne + "x"}}, body(),
                      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(Json::parse(res->body)["error"]["code"], "invalid_api_key");
  for (const auto& key : {kKeyOne, kKeyTwo}) {
    res = client().Post("/v1/chat/completions", {{"Authorization", "Bearer " + key}}, body(),
                        "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(Json::parse(res->body)["usage"]["completion_tokens"], 3);
  }
  EXPECT_EQ(client().Get("/v1/models")->status, 401);
  EXPECT_EQ(client().Get("/health")->status, 200);  // always open
  EXPECT_EQ(client().Get("/metrics")->status, 401);
  res = client().Get("/metrics", {{"Authorization", "Bearer " + kKeyTwo}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("longwriter:requests_total"), std::string::npos);

  // The project's own client sends the key as a Bearer token.
  lw::net::ClientOptions co;
  co.base_urls = {"http://127.0.0.1:" + std::to_string(server_->port()) + "/v1"};
  co.api_key = kKeyTwo;
  co.max_retries = 0;
  lw::net::OpenAIClient oc(co);
  lw::net::ChatRequest req;
  req.messages = {{"user", "Hello"}};
  req.max_tokens = 2;
  EXPECT_EQ(oc.complete(req).usage.completion_tokens, 2);

  server_->stop();
  lw::log::set_sink(nullptr);
  lw::log::set_level(saved_level);
  EXPECT_FALSE(g_log.empty());  // the server did log (request lines at info)
  for (const auto& line : g_log) {
    EXPECT_EQ(line.find("sk-lw-test"), std::string::npos) << line;
    EXPECT_EQ(line.find("Q3rT9vW2"), std::string::npos) << line;
    EXPECT_EQ(line.find("M4nP8kL6"), std::string::npos) << line;
  }
}

TEST_F(Access, MetricsPublicOpensOnlyMetrics) {
  lw::serve::AccessPolicy a;
  a.keys = lw::serve::ApiKeys({kKeyOne});
  a.metrics_public = true;
  start(std::move(a));
  EXPECT_EQ(client().Get("/metrics")->status, 200);
  EXPECT_EQ(client().Get("/health")->status, 200);
  EXPECT_EQ(client().Get("/v1/models")->status, 401);
  EXPECT_EQ(post("application/json"), 401);
}

}  // namespace
