// The sampling fields of the API: parsing and range checks (400 naming the field), the request body
// a remote backend sends, and their mapping onto the engine's sampler chain.
#include <gtest/gtest.h>

#include "net/openai_json.hpp"
#include "serve/openai_api.hpp"
#include "serve/sampling_fields.hpp"

using namespace lw::serve;

namespace {

std::string with(const std::string& fields) {
  return R"({"messages":[{"role":"user","content":"x"}],)" + fields + "}";
}

std::string refusal(const std::string& fields) {
  try {
    parse_chat_request(with(fields));
  } catch (const BadRequest& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST(SamplingApi, ParsesEveryFieldAndMapsItOntoTheChain) {
  auto p = parse_chat_request(with(
      R"("top_k":40,"min_p":0.05,"repetition_penalty":1.2,"frequency_penalty":0.5,"presence_penalty":-0.5,
         "repeat_last_n":64,"dry_multiplier":0.8,"dry_base":1.5,"dry_allowed_length":3,"dry_penalty_last_n":256,
         "dry_sequence_breakers":["\n","."],"logit_bias":{"50256":-100,"7":2.5},"unknown_field":1)"));
  const auto& x = p.chat.extras;
  EXPECT_EQ(*x.top_k, 40);
  EXPECT_EQ(*x.min_p, 0.05);
  EXPECT_EQ(*x.repetition_penalty, 1.2);
  EXPECT_EQ(*x.frequency_penalty, 0.5);
  EXPECT_EQ(*x.presence_penalty, -0.5);
  EXPECT_EQ(*x.penalty_last_n, 64);
  EXPECT_EQ(*x.dry_multiplier, 0.8);
  EXPECT_EQ(*x.dry_base, 1.5);
  EXPECT_EQ(*x.dry_allowed_length, 3);
  EXPECT_EQ(*x.dry_penalty_last_n, 256);
  EXPECT_EQ(*x.dry_sequence_breakers, (std::vector<std::string>{"\n", "."}));
  ASSERT_EQ(x.logit_bias.size(), 2u);

  lw::engine::SamplingParams base;
  base.temperature = 0.7f;
  auto s = with_extras(base, x);
  EXPECT_EQ(s.temperature, 0.7f);
  EXPECT_EQ(s.top_k, 40);
  EXPECT_FLOAT_EQ(s.min_p, 0.05f);
  EXPECT_FLOAT_EQ(s.repetition_penalty, 1.2f);
  EXPECT_FLOAT_EQ(s.frequency_penalty, 0.5f);
  EXPECT_FLOAT_EQ(s.presence_penalty, -0.5f);
  EXPECT_EQ(s.penalty_last_n, 64);
  EXPECT_FLOAT_EQ(s.dry.multiplier, 0.8f);
  EXPECT_FLOAT_EQ(s.dry.base, 1.5f);
  EXPECT_EQ(s.dry.allowed_length, 3);
  EXPECT_EQ(s.dry.penalty_last_n, 256);
  EXPECT_EQ(s.dry.sequence_breakers, (std::vector<std::string>{"\n", "."}));
  EXPECT_EQ(s.logit_bias.size(), 2u);

  // Unset fields keep the defaults (all off); vLLM's top_k -1 is off.
  auto d = with_extras({}, parse_chat_request(with(R"("top_k":-1)")).chat.extras);
  EXPECT_EQ(d.top_k, 0);
  EXPECT_EQ(d.repetition_penalty, 1.0f);
  EXPECT_EQ(d.frequency_penalty, 0.0f);
  EXPECT_EQ(d.dry.multiplier, 0.0f);
  EXPECT_TRUE(d.logit_bias.empty());
  // A request's field replaces the server's default; others keep it.
  lw::net::SamplingExtras server;
  server.repetition_penalty = 1.1;
  server.min_p = 0.1;
  lw::net::SamplingExtras req;
  req.min_p = 0.2;
  auto m = lw::net::merged(server, req);
  EXPECT_EQ(*m.repetition_penalty, 1.1);
  EXPECT_EQ(*m.min_p, 0.2);
}

TEST(SamplingApi, OutOfRangeValuesAreRefusedNamingTheField) {
  for (const char* f : {R"("top_k":-2)",
                        R"("top_k":1.5)",
                        R"("min_p":1.5)",
                        R"("min_p":-0.1)",
                        R"("repetition_penalty":0)",
                        R"("repetition_penalty":11)",
                        R"("frequency_penalty":2.5)",
                        R"("presence_penalty":-3)",
                        R"("repeat_last_n":-2)",
                        R"("dry_multiplier":-1)",
                        R"("dry_base":0.5)",
                        R"("dry_allowed_length":0)",
                        R"("dry_penalty_last_n":-5)",
                        R"("dry_sequence_breakers":"\n")",
                        R"("dry_sequence_breakers":[1])",
                        R"("logit_bias":[1])",
                        R"("logit_bias":{"x":1})",
                        R"("logit_bias":{"-3":1})",
                        R"("logit_bias":{"5":101})",
                        R"("logit_bias":{"5":"high"})",
                        R"("min_p":"0.1")"}) {
    const std::string field = std::string(f).substr(1, std::string(f).find('"', 1) - 1);
    const std::string why = refusal(f);
    EXPECT_NE(why.find("\"" + field + "\""), std::string::npos) << f << " -> " << why;
  }
  EXPECT_EQ(refusal(R"("top_k":0,"min_p":0,"repetition_penalty":1,"logit_bias":{})"), "accepted");
}

TEST(SamplingApi, ARemoteRequestBodyCarriesTheFieldsUnderTheServersNames) {
  lw::net::ChatRequest r;
  r.messages.push_back({"user", "hi"});
  r.extras.top_k = 20;
  r.extras.repetition_penalty = 1.15;
  r.extras.frequency_penalty = 0.3;
  r.extras.penalty_last_n = 128;
  r.extras.dry_multiplier = 0.8;
  r.extras.dry_sequence_breakers = std::vector<std::string>{"\n"};
  r.extras.logit_bias = {{42, -100.0}};
  auto body = lw::net::build_request_body(r, "m", false, false);
  EXPECT_EQ(body["top_k"], 20);
  EXPECT_EQ(body["repetition_penalty"], 1.15);
  EXPECT_EQ(body["repeat_last_n"], 128);
  EXPECT_EQ(body["logit_bias"]["42"], -100.0);
  EXPECT_FALSE(body.contains("min_p"));
  EXPECT_FALSE(body.contains("presence_penalty"));
  // Our own server reads back what our client sends.
  auto back = parse_chat_request(body.dump()).chat.extras;
  EXPECT_EQ(*back.top_k, 20);
  EXPECT_EQ(*back.repetition_penalty, 1.15);
  EXPECT_EQ(*back.frequency_penalty, 0.3);
  EXPECT_EQ(*back.penalty_last_n, 128);
  EXPECT_EQ(*back.dry_multiplier, 0.8);
  EXPECT_EQ(*back.dry_sequence_breakers, std::vector<std::string>{"\n"});
  EXPECT_EQ(back.logit_bias, (std::vector<std::pair<int32_t, double>>{{42, -100.0}}));
}

TEST(SamplingApi, LogprobsFieldsAndTheirJson) {
  EXPECT_FALSE(parse_chat_request(with(R"("logprobs":false)")).chat.top_logprobs.has_value());
  EXPECT_EQ(*parse_chat_request(with(R"("logprobs":true)")).chat.top_logprobs, 0);
  EXPECT_EQ(*parse_chat_request(with(R"("logprobs":true,"top_logprobs":20)")).chat.top_logprobs, 20);
  EXPECT_NE(refusal(R"("logprobs":true,"top_logprobs":21)").find("\"top_logprobs\""), std::string::npos);
  EXPECT_NE(refusal(R"("top_logprobs":2)").find("\"top_logprobs\""), std::string::npos);
  EXPECT_NE(refusal(R"("logprobs":1)").find("\"logprobs\""), std::string::npos);

  lw::net::ChatResponse r;
  r.content = "Hi";
  r.finish_reason = "stop";
  r.logprobs = std::vector<lw::net::TokenLogprob>{{"Hi", -0.25, {{"Hi", -0.25}, {"Ho", -1.5}}}};
  auto j = completion_json(r, "id", "m", 1);
  const auto& c = j["choices"][0]["logprobs"]["content"][0];
  EXPECT_EQ(c["token"], "Hi");
  EXPECT_EQ(c["logprob"], -0.25);
  EXPECT_EQ(c["bytes"], (nlohmann::json{72, 105}));
  EXPECT_EQ(c["top_logprobs"][1]["token"], "Ho");
  EXPECT_EQ(c["top_logprobs"][1]["logprob"], -1.5);
  r.logprobs.reset();
  EXPECT_TRUE(completion_json(r, "id", "m", 1)["choices"][0]["logprobs"].is_null());
  auto chunk = chunk_json("id", "m", 1, "Hi", false, "", logprobs_json({{"Hi", -0.25, {}}}));
  EXPECT_EQ(chunk["choices"][0]["logprobs"]["content"][0]["token"], "Hi");
  EXPECT_TRUE(chunk_json("id", "m", 1, "Hi", false, "")["choices"][0]["logprobs"].is_null());
}

TEST(SamplingApi, PlainCompletionRequests) {
  auto p = parse_completion_request(R"({"prompt":"Once","logprobs":2,"stop":"\n","stream":true})");
  EXPECT_EQ(*p.chat.prompt_text, "Once");
  EXPECT_EQ(*p.chat.max_tokens, 16);  // the legacy default
  EXPECT_EQ(*p.chat.top_logprobs, 2);
  EXPECT_TRUE(p.stream);
  EXPECT_EQ(parse_completion_request(R"({"prompt":[1,5,9],"max_tokens":3})").chat.prompt_ids,
            (std::vector<int32_t>{1, 5, 9}));
  EXPECT_EQ(*parse_completion_request(R"({"prompt":["Once"]})").chat.prompt_text, "Once");
  auto why = [](const std::string& body) {
    try {
      parse_completion_request(body);
    } catch (const BadRequest& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(why(R"({"max_tokens":3})").find("\"prompt\""), std::string::npos);
  EXPECT_NE(why(R"({"prompt":["a","b"]})").find("\"prompt\""), std::string::npos);
  EXPECT_NE(why(R"({"prompt":[1,-2]})").find("\"prompt\""), std::string::npos);
  EXPECT_NE(why(R"({"prompt":"a","echo":true})").find("\"echo\""), std::string::npos);
  EXPECT_NE(why(R"({"prompt":"a","logprobs":21})").find("\"logprobs\""), std::string::npos);
  EXPECT_NE(why(R"({"prompt":"a","temperature":9})").find("\"temperature\""), std::string::npos);
  EXPECT_NE(why(R"({"prompt":"a","min_p":2})").find("\"min_p\""), std::string::npos);

  lw::net::ChatResponse r;
  r.content = "Hi!";
  r.finish_reason = "length";
  r.logprobs = std::vector<lw::net::TokenLogprob>{{"Hi", -0.5, {{"Hi", -0.5}}}, {"!", -1.0, {{"!", -1.0}}}};
  auto j = text_completion_json(r, "cmpl-1", "m", 1);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], "Hi!");
  const auto& lp = j["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"], (nlohmann::json{"Hi", "!"}));
  EXPECT_EQ(lp["token_logprobs"], (nlohmann::json{-0.5, -1.0}));
  EXPECT_EQ(lp["top_logprobs"][1]["!"], -1.0);
  EXPECT_EQ(lp["text_offset"], (nlohmann::json{0, 2}));
  auto chunk = text_chunk_json("cmpl-1", "m", 1, "Hi", "");
  EXPECT_EQ(chunk["choices"][0]["text"], "Hi");
  EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
}
