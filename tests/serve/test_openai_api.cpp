// Request parsing and reply building of the server's OpenAI API.
#include <gtest/gtest.h>

#include <map>

#include "serve/completion_stream.hpp"
#include "serve/openai_api.hpp"

namespace {

using lw::serve::BadRequest;
using lw::serve::parse_chat_request;

TEST(OpenAIApi, ParsesAFullRequest) {
  auto p = parse_chat_request(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"hel"},{"type":"text","text":"lo"}]}],
      "temperature":0.5,"top_p":0.9,"max_tokens":12,"stop":["\n\n",""],"seed":7,"stream":true,
      "stream_options":{"include_usage":true},"n":1,"unknown":{"x":1}})");
  EXPECT_EQ(p.chat.model, "m");
  ASSERT_EQ(p.chat.messages.size(), 2u);
  EXPECT_EQ(p.chat.messages[0].role, "system");
  EXPECT_EQ(p.chat.messages[1].content, "hello");
  EXPECT_EQ(*p.chat.temperature, 0.5);
  EXPECT_EQ(*p.chat.top_p, 0.9);
  EXPECT_EQ(*p.chat.max_tokens, 12);
  EXPECT_EQ(p.chat.stop, std::vector<std::string>{"\n\n"});
  EXPECT_EQ(*p.chat.seed, 7);
  EXPECT_TRUE(p.stream);
  EXPECT_TRUE(p.include_usage);
}

TEST(OpenAIApi, DefaultsStayUnset) {
  auto p = parse_chat_request(R"({"messages":[{"role":"user","content":"hi"}],"stop":"END",
                                  "max_completion_tokens":3})");
  EXPECT_FALSE(p.chat.temperature.has_value());
  EXPECT_FALSE(p.chat.seed.has_value());
  EXPECT_EQ(*p.chat.max_tokens, 3);
  EXPECT_EQ(p.chat.stop, std::vector<std::string>{"END"});
  EXPECT_FALSE(p.stream);
}

TEST(OpenAIApi, RejectsBadRequestsNamingTheField) {
  auto msg = [](const std::string& body) {
    try {
      parse_chat_request(body);
    } catch (const BadRequest& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(msg("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(msg("[1]").find("JSON object"), std::string::npos);
  EXPECT_NE(msg(R"({"messages":[]})").find("messages"), std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"robot","content":"x"}]})").find("robot"), std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"temperature":3})").find("temperature"),
            std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"top_p":0})").find("top_p"), std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})").find("max_tokens"),
            std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1.5})").find("integer"),
            std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"n":0})").find("\"n\""), std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"n":129})").find("\"n\""), std::string::npos);
  EXPECT_EQ(lw::serve::parse_chat_request(R"({"messages":[{"role":"user","content":"x"}],"n":3})").n, 3);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})").find("text parts"),
            std::string::npos);
  EXPECT_NE(msg(R"({"messages":[{"role":"user","content":"x"}],"stream":"yes"})").find("stream"),
            std::string::npos);
}

TEST(OpenAIApi, RefusesDeepNestingBeforeParsing) {
  std::string deep = R"({"messages":[{"role":"user","content":"x"}],"x":)" + std::string(5000, '[') +
                     std::string(5000, ']') + "}";
  EXPECT_THROW(parse_chat_request(deep), BadRequest);
  EXPECT_EQ(lw::serve::json_depth(R"({"a":"[[[[{{{{","b":[1,{"c":2}]})", 100), 3);
  EXPECT_EQ(lw::serve::json_depth(R"(["\"[[[", []])", 100), 2);
}

TEST(OpenAIApi, BuildsRepliesAndChunks) {
  lw::net::ChatResponse r;
  r.content = "hi";
  r.finish_reason = "length";
  r.usage = {5, 2, 7};
  auto j = lw::serve::completion_json(r, "id1", "m", 42);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "hi");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["total_tokens"], 7);
  auto first = lw::serve::chunk_json("id1", "m", 42, "", true, "");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  auto last = lw::serve::chunk_json("id1", "m", 42, "", false, "stop");
  EXPECT_TRUE(last["choices"][0]["delta"].empty());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  auto u = lw::serve::usage_chunk_json("id1", "m", 42, r.usage);
  EXPECT_TRUE(u["choices"].empty());
  EXPECT_EQ(u["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(lw::serve::sse_event({{"a", 1}}), "data: {\"a\":1}\n\n");
}

}  // namespace

namespace {

using Json = nlohmann::json;

// A backend that answers "seed S" in two pieces, for the choices' JSON and event order.
class SeedEcho : public lw::net::ChatBackend {
 public:
  lw::net::ChatResponse complete(const lw::net::ChatRequest& r,
                                 const lw::net::DeltaCallback& on_delta) override {
    lw::net::ChatResponse out;
    out.content = "seed " + std::to_string(r.seed.value_or(-1));
    if (on_delta) {
      on_delta("seed ");
      on_delta(out.content.substr(5));
    }
    out.finish_reason = r.seed.value_or(0) % 2 ? "length" : "stop";
    out.usage = {4, 2, 6, 1};
    return out;
  }
  std::string describe() const override { return "seed echo"; }
};

}  // namespace

TEST(OpenAIApi, ChoicesCarryTheirIndexSeedAndFinishAndSumTheUsage) {
  SeedEcho backend;
  auto p = lw::serve::parse_chat_request(R"({"messages":[{"role":"user","content":"x"}],"n":3,"seed":10})");
  auto replies = backend.complete_n(p.chat, p.n);  // the default: one request per choice, seed + i
  const Json j = lw::serve::choices_json(replies, /*plain=*/false, "id", "m", 1);
  ASSERT_EQ(j["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const Json& c = j["choices"][static_cast<size_t>(i)];
    EXPECT_EQ(c["index"], i);
    EXPECT_EQ(c["message"]["content"], "seed " + std::to_string(10 + i));
    EXPECT_EQ(c["finish_reason"], i % 2 ? "length" : "stop");
  }
  EXPECT_EQ(j["usage"]["prompt_tokens"], 4);  // the prompt once
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  EXPECT_EQ(j["usage"]["total_tokens"], 10);
  EXPECT_EQ(lw::serve::choices_json(replies, /*plain=*/true, "id", "m", 1)["choices"][2]["text"], "seed 12");

  // Streamed: the opening chunks first, then each choice's pieces and its closing chunk, by index.
  std::vector<Json> events;
  auto got = lw::serve::stream_choices(backend, p, /*plain=*/false, "id", "m", 1, [&](const std::string& s) {
    events.push_back(Json::parse(s.substr(6)));  // "data: {...}\n\n"
  });
  ASSERT_EQ(got.size(), 3u);
  ASSERT_EQ(events.size(), 3u + 3 * 3);
  std::map<int, std::string> text;
  for (size_t k = 0; k < events.size(); ++k) {
    const Json& c = events[k]["choices"][0];
    if (k < 3) {
      EXPECT_EQ(c["index"], static_cast<int>(k));
      EXPECT_EQ(c["delta"]["role"], "assistant");
      continue;
    }
    const int i = c["index"].get<int>();
    if (c["delta"].contains("content")) text[i] += c["delta"]["content"].get<std::string>();
    if (!c["finish_reason"].is_null()) {
      EXPECT_EQ(text[i], "seed " + std::to_string(10 + i)) << "closed before its text";
    }
  }
  EXPECT_EQ(lw::serve::merged_reply(got).finish_reason, "stop,length,stop");
}
