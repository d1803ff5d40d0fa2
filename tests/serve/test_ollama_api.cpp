// Ollama's API on `serve`: request parsing and reply building (OllamaApi, no model), then the
// routes against the engine on the tiny random Llama (OllamaServe): /api/chat and /api/generate
// whole and as NDJSON streams, options mapped, /api/tags, /api/show, errors and access checks.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sstream>

#include "net/errors.hpp"
#include "serve/http_server.hpp"
#include "serve/model_card.hpp"
#include "serve/ollama_api.hpp"
#include "tiny_model.hpp"

namespace {

using Json = nlohmann::json;
using lw::serve::BadRequest;

TEST(OllamaApi, ChatMapsMessagesAndOptions) {
  auto p = lw::serve::parse_ollama_chat(R"({"model":"m","messages":[{"role":"system","content":"S"},
    {"role":"user","content":"U"}],"stream":false,"options":{"temperature":0.2,"top_p":0.9,
    "num_predict":7,"seed":42,"stop":["\n\n","END"],"top_k":40,"num_ctx":4096}})");
  EXPECT_FALSE(p.stream);
  EXPECT_FALSE(p.load_only);
  EXPECT_EQ(p.chat.model, "m");
  ASSERT_EQ(p.chat.messages.size(), 2u);
  EXPECT_EQ(p.chat.messages[0].role, "system");
  EXPECT_EQ(p.chat.messages[1].content, "U");
  EXPECT_DOUBLE_EQ(*p.chat.temperature, 0.2);
  EXPECT_DOUBLE_EQ(*p.chat.top_p, 0.9);
  EXPECT_EQ(*p.chat.max_tokens, 7);
  EXPECT_EQ(*p.chat.seed, 42);
  EXPECT_EQ(p.chat.stop, (std::vector<std::string>{"\n\n", "END"}));
}

TEST(OllamaApi, MapsSamplerOptionsFormatAndRaw) {
  auto p = lw::serve::parse_ollama_chat(R"({"messages":[{"role":"user","content":"x"}],"format":"json",
    "options":{"top_k":40,"min_p":0.05,"repeat_penalty":1.1,"repeat_last_n":64,"presence_penalty":0.5,
    "frequency_penalty":0.25}})");
  EXPECT_EQ(*p.chat.extras.top_k, 40);
  EXPECT_DOUBLE_EQ(*p.chat.extras.min_p, 0.05);
  EXPECT_DOUBLE_EQ(*p.chat.extras.repetition_penalty, 1.1);
  EXPECT_EQ(*p.chat.extras.penalty_last_n, 64);
  EXPECT_DOUBLE_EQ(*p.chat.extras.presence_penalty, 0.5);
  EXPECT_DOUBLE_EQ(*p.chat.extras.frequency_penalty, 0.25);
  EXPECT_EQ(p.chat.json_response, std::optional<std::string>(""));
  auto s = lw::serve::parse_ollama_chat(
      R"({"messages":[{"role":"user","content":"x"}],"format":{"type":"object","properties":{"a":{"type":"integer"}}}})");
  ASSERT_TRUE(s.chat.json_response.has_value());
  EXPECT_NE(s.chat.json_response->find("\"integer\""), std::string::npos);
  auto raw = lw::serve::parse_ollama_generate(R"({"prompt":"[INST] hi","system":"S","raw":true})");
  EXPECT_EQ(raw.chat.prompt_text, std::optional<std::string>("[INST] hi"));
  EXPECT_TRUE(raw.chat.messages.empty());
  EXPECT_THROW(lw::serve::parse_ollama_chat(R"({"messages":[],"format":"yaml"})"), BadRequest);
  EXPECT_THROW(lw::serve::parse_ollama_chat(R"({"messages":[],"options":{"min_p":2}})"), BadRequest);
}

TEST(OllamaApi, StreamsByDefaultAndNumPredictMinusOneMeansNoLimit) {
  auto p = lw::serve::parse_ollama_chat(
      R"({"messages":[{"role":"user","content":"x"}],"options":{"num_predict":-1}})");
  EXPECT_TRUE(p.stream);
  EXPECT_FALSE(p.chat.max_tokens.has_value());
  EXPECT_FALSE(p.chat.temperature.has_value());
}

TEST(OllamaApi, GenerateTurnsSystemAndPromptIntoTurns) {
  auto p = lw::serve::parse_ollama_generate(R"({"model":"m","prompt":"P","system":"S","stream":false})");
  ASSERT_EQ(p.chat.messages.size(), 2u);
  EXPECT_EQ(p.chat.messages[0].role, "system");
  EXPECT_EQ(p.chat.messages[0].content, "S");
  EXPECT_EQ(p.chat.messages[1].role, "user");
  EXPECT_EQ(p.chat.messages[1].content, "P");
  EXPECT_TRUE(lw::serve::parse_ollama_generate(R"({"model":"m"})").load_only);
  EXPECT_TRUE(lw::serve::parse_ollama_chat(R"({"model":"m","messages":[]})").load_only);
}

TEST(OllamaApi, RefusesBadFieldsNamingThem) {
  auto msg = [](const char* body, bool chat = true) {
    try {
      if (chat)
        lw::serve::parse_ollama_chat(body);
      else
        lw::serve::parse_ollama_generate(body);
    } catch (const BadRequest& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(msg("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(msg(R"({"messages":{}})").find("messages"), std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"wizard","content":"x"}]})").find("role"), std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"options":{"temperature":"hot"}})")
                .find("options.temperature"),
            std::string::npos);
  EXPECT_NE(
      msg(R"({"messages":[{"role":"user","content":"x"}],"options":{"num_predict":-5}})").find("num_predict"),
      std::string::npos);
  EXPECT_NE(msg(R"({"prompt":"x","stream":"yes"})", false).find("stream"), std::string::npos);
  EXPECT_NE(msg(R"({"prompt":"x","images":["aGk="]})", false).find("images"), std::string::npos);
}

TEST(OllamaApi, FinalObjectCarriesCountsAndNanoseconds) {
  lw::net::ChatResponse r;
  r.content = "hello";
  r.finish_reason = "length";
  r.usage = {12, 5, 17, 0};
  r.seconds = 1.5;
  r.prefill_seconds = 0.25;
  r.decode_seconds = 1.0;
  Json j = lw::serve::ollama_final_json(lw::serve::OllamaKind::chat, "tiny", "T", r, true);
  EXPECT_EQ(j["message"]["content"], "hello");
  EXPECT_EQ(j["message"]["role"], "assistant");
  EXPECT_EQ(j["done"], true);
  EXPECT_EQ(j["done_reason"], "length");
  EXPECT_EQ(j["total_duration"], 1500000000);
  EXPECT_EQ(j["prompt_eval_count"], 12);
  EXPECT_EQ(j["prompt_eval_duration"], 250000000);
  EXPECT_EQ(j["eval_count"], 5);
  EXPECT_EQ(j["eval_duration"], 1000000000);
  Json g = lw::serve::ollama_delta_json(lw::serve::OllamaKind::generate, "tiny", "T", "he");
  EXPECT_EQ(g["response"], "he");
  EXPECT_EQ(g["done"], false);
  EXPECT_EQ(lw::serve::rfc3339_nanos(1700000000123456789), "2023-11-14T22:13:20.123456789Z");
}

TEST(OllamaApi, NamesAndSizes) {
  EXPECT_TRUE(lw::serve::ollama_names_model("tiny", "tiny"));
  EXPECT_TRUE(lw::serve::ollama_names_model("tiny:latest", "tiny"));
  EXPECT_FALSE(lw::serve::ollama_names_model("tiny:7b", "tiny"));
  EXPECT_EQ(lw::serve::parameter_size_text(8030261248), "8.0B");
  EXPECT_EQ(lw::serve::parameter_size_text(3235040), "3.2M");
  EXPECT_EQ(lw::serve::parse_ollama_show(R"({"name":"old"})"), "old");
  EXPECT_THROW(lw::serve::parse_ollama_show("{}"), BadRequest);
}

// Fails every request like an over-long prompt.
class TooLongBackend : public lw::net::ChatBackend {
 public:
  lw::net::ChatResponse complete(const lw::net::ChatRequest&, const lw::net::DeltaCallback&) override {
    throw lw::net::ContextLengthError("prompt exceeds the context length of 8 tokens", 400, "");
  }
  std::string describe() const override { return "too long"; }
};

TEST(OllamaApi, BackendFailuresAreOllamaErrors) {
  TooLongBackend backend;
  lw::serve::ServerOptions o;
  o.port = 0;
  o.model_name = "tiny";
  lw::serve::HttpServer server(backend, o);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  Json body = {{"model", "tiny"}, {"prompt", "long"}, {"stream", false}};
  auto whole = c.Post("/api/generate", body.dump(), "application/json");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 400);
  EXPECT_EQ(Json::parse(whole->body)["error"], "prompt exceeds the context length of 8 tokens");
  body["stream"] = true;
  auto streamed = c.Post("/api/generate", body.dump(), "application/json");
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->status, 200);  // the stream had begun: the error is its last line
  EXPECT_EQ(Json::parse(streamed->body)["error"], "prompt exceeds the context length of 8 tokens");
}

struct Served {
  std::unique_ptr<lw::serve::LocalBackend> backend;
  std::unique_ptr<lw::serve::HttpServer> server;
  explicit Served(lw::serve::AccessPolicy access = {}) {
    backend = lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options(2));
    lw::serve::ServerOptions o;
    o.port = 0;
    o.model_name = "tiny";
    o.access = std::move(access);
    o.card = lw::serve::model_card(*backend, lw::testing::tiny_model_dir());
    server = std::make_unique<lw::serve::HttpServer>(*backend, o);
    server->start();
  }
  httplib::Result post(const std::string& path, const Json& body) const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(120, 0);
    return c.Post(path, body.dump(), "application/json");
  }
};

std::vector<Json> ndjson(const std::string& body) {
  std::vector<Json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

Json chat_body(bool stream) {
  return {{"model", "tiny"},
          {"messages", {{{"role", "user"}, {"content", "Hello there"}}}},
          {"stream", stream},
          {"options", {{"temperature", 0}, {"num_predict", 6}}}};
}

TEST(OllamaServe, ChatWholeAndStreamedAgree) {
  Served s;
  auto whole = s.post("/api/chat", chat_body(false));
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  Json w = Json::parse(whole->body);
  EXPECT_EQ(w["model"], "tiny");
  EXPECT_EQ(w["done"], true);
  EXPECT_EQ(w["done_reason"], "length");
  EXPECT_EQ(w["eval_count"], 6);
  EXPECT_GT(w["prompt_eval_count"].get<int>(), 0);
  EXPECT_GT(w["total_duration"].get<int64_t>(), 0);
  const std::string text = w["message"]["content"];
  EXPECT_FALSE(text.empty());

  auto streamed = s.post("/api/chat", chat_body(true));
  ASSERT_TRUE(streamed);
  ASSERT_EQ(streamed->status, 200);
  EXPECT_EQ(streamed->get_header_value("Content-Type"), "application/x-ndjson");
  auto lines = ndjson(streamed->body);
  ASSERT_GE(lines.size(), 2u);
  std::string joined;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["done"], false);
    EXPECT_EQ(lines[i]["message"]["role"], "assistant");
    joined += lines[i]["message"]["content"].get<std::string>();
  }
  EXPECT_EQ(joined, text);  // greedy: the same text both ways
  const Json& last = lines.back();
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["done_reason"], "length");
  EXPECT_EQ(last["eval_count"], 6);
  EXPECT_TRUE(last.contains("eval_duration"));
}

TEST(OllamaServe, GenerateWholeAndStreamed) {
  Served s;
  Json body = {{"model", "tiny"},
               {"prompt", "Write"},
               {"system", "Be brief."},
               {"stream", false},
               {"options", {{"temperature", 0}, {"num_predict", 5}}}};
  auto whole = s.post("/api/generate", body);
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  Json w = Json::parse(whole->body);
  EXPECT_EQ(w["eval_count"], 5);
  EXPECT_FALSE(w["response"].get<std::string>().empty());
  body["stream"] = true;
  auto streamed = s.post("/api/generate", body);
  ASSERT_TRUE(streamed);
  auto lines = ndjson(streamed->body);
  ASSERT_GE(lines.size(), 2u);
  std::string joined;
  for (size_t i = 0; i + 1 < lines.size(); ++i) joined += lines[i]["response"].get<std::string>();
  EXPECT_EQ(joined, w["response"]);
  EXPECT_EQ(lines.back()["done"], true);
  EXPECT_EQ(lines.back()["response"], "");
}

TEST(OllamaServe, StopAndSeedAreHonoured) {
  Served s;
  Json body = chat_body(false);
  body["options"] = {{"temperature", 1.0}, {"seed", 11}, {"num_predict", 8}};
  auto a = s.post("/api/chat", body), b = s.post("/api/chat", body);
  ASSERT_TRUE(a && b);
  const std::string text = Json::parse(a->body)["message"]["content"];
  EXPECT_EQ(text, Json::parse(b->body)["message"]["content"]);  // same seed, same text
  ASSERT_GE(text.size(), 3u);
  body["options"]["stop"] = {text.substr(1, 2)};
  auto c = s.post("/api/chat", body);
  ASSERT_TRUE(c);
  Json cj = Json::parse(c->body);
  EXPECT_EQ(cj["done_reason"], "stop");
  EXPECT_LT(cj["message"]["content"].get<std::string>().size(), text.size());
}

TEST(OllamaServe, FormatJsonRepliesWithJson) {
  Served s;
  Json body = chat_body(false);
  body["format"] = "json";
  body["options"] = {{"temperature", 0.8}, {"seed", 5}, {"num_predict", 200}};
  auto r = s.post("/api/chat", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string text = Json::parse(r->body)["message"]["content"];
  Json reply = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(reply.is_discarded()) << text;
}

TEST(OllamaServe, TagsAndShowDescribeTheModel) {
  Served s;
  httplib::Client c("127.0.0.1", s.server->port());
  auto tags = c.Get("/api/tags");
  ASSERT_TRUE(tags);
  ASSERT_EQ(tags->status, 200);
  Json t = Json::parse(tags->body);
  ASSERT_EQ(t["models"].size(), 1u);
  const Json& m = t["models"][0];
  EXPECT_EQ(m["name"], "tiny");
  EXPECT_EQ(m["model"], "tiny");
  EXPECT_GT(m["size"].get<int64_t>(), 0);
  EXPECT_EQ(m["digest"].get<std::string>().size(), 64u);
  EXPECT_EQ(m["details"]["family"], "llama");
  EXPECT_EQ(m["details"]["format"], "safetensors");
  EXPECT_EQ(m["details"]["quantization_level"], "F32");
  EXPECT_TRUE(m["modified_at"].get<std::string>().ends_with("Z"));

  auto show = s.post("/api/show", {{"model", "tiny:latest"}});
  ASSERT_TRUE(show);
  ASSERT_EQ(show->status, 200);
  Json sh = Json::parse(show->body);
  EXPECT_EQ(sh["template"], "llama3-longwriter");
  EXPECT_EQ(sh["details"]["parameter_size"],
            lw::serve::parameter_size_text(lw::testing::tiny_serve_config().n_params()));
  EXPECT_EQ(sh["model_info"]["llama.context_length"], 512);
  EXPECT_EQ(sh["model_info"]["general.architecture"], "llama");
}

TEST(OllamaServe, ErrorsAreOllamaShaped) {
  Served s;
  auto missing = s.post("/api/show", {{"model", "llama3"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Json::parse(missing->body)["error"], "model 'llama3' not found");
  auto bad = s.post("/api/chat", {{"messages", "hi"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(Json::parse(bad->body)["error"].is_string());
  httplib::Client c("127.0.0.1", s.server->port());
  auto route = c.Get("/api/ps");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 404);
  EXPECT_TRUE(Json::parse(route->body)["error"].is_string());
  auto load = s.post("/api/generate", {{"model", "tiny"}});
  ASSERT_TRUE(load);
  EXPECT_EQ(Json::parse(load->body)["done_reason"], "load");
}

TEST(OllamaServe, AccessChecksApplyToOllamaRoutes) {
  lw::serve::AccessPolicy access;
  access.keys = lw::serve::ApiKeys({"sk-test-key"});
  Served s(access);
  httplib::Client c("127.0.0.1", s.server->port());
  auto nokey = c.Get("/api/tags");
  ASSERT_TRUE(nokey);
  EXPECT_EQ(nokey->status, 401);
  EXPECT_TRUE(Json::parse(nokey->body)["error"].is_string()) << nokey->body;  // Ollama's shape
  httplib::Headers key = {{"Authorization", "Bearer sk-test-key"}};
  auto ok = c.Get("/api/tags", key);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  auto text = c.Post("/api/chat", key, chat_body(false).dump(), "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415);
  httplib::Headers foreign = {{"Authorization", "Bearer sk-test-key"}, {"Host", "attacker.example"}};
  auto host = c.Get("/api/tags", foreign);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->status, 403);
}

}  // namespace
