#include "serve/openai_api.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace lw::serve {

using Json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& msg) { throw BadRequest(msg); }

double number_field(const Json& j, const char* name, double lo, double hi, bool lo_open) {
  const Json& v = j.at(name);
  if (!v.is_number()) bad(fmt::format("field \"{}\": expected a number", name));
  double d = v.get<double>();
  if (!std::isfinite(d) || d > hi || d < lo || (lo_open && d == lo))
    bad(fmt::format("field \"{}\": {} is out of range {}{}, {}]", name, d, lo_open ? "(" : "[", lo, hi));
  return d;
}

int64_t int_field(const Json& j, const char* name, int64_t lo, int64_t hi) {
  const Json& v = j.at(name);
  int64_t x = 0;
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    // Reported as written: narrowing it first would print 2^64 - 16 as -16.
    bad(fmt::format("field \"{}\": {} is out of range [{}, {}]", name, v.get<uint64_t>(), lo, hi));
  } else if (v.is_number_integer()) {
    x = v.get<int64_t>();
  } else if (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>() &&
             std::fabs(v.get<double>()) < 9e15) {
    x = static_cast<int64_t>(v.get<double>());
  } else {
    bad(fmt::format("field \"{}\": expected an integer", name));
  }
  if (x < lo || x > hi) bad(fmt::format("field \"{}\": {} is out of range [{}, {}]", name, x, lo, hi));
  return x;
}

std::string message_content(const Json& m, size_t i) {
  auto it = m.find("content");
  if (it == m.end() || it->is_null()) {
    // Only an assistant turn that called tools may leave its content out (OpenAI's rule).
    if (m.value("role", "") == "assistant" && m.contains("tool_calls")) return {};
    bad(fmt::format("messages[{}].content: missing (expected a string or an array of text parts)", i));
  }
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    std::string out;
    for (const auto& part : *it) {
      if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
        bad(fmt::format("messages[{}].content: only text parts ({{\"type\":\"text\",\"text\":...}}) are supported", i));
      out += part["text"].get<std::string>();
    }
    return out;
  }
  bad(fmt::format("messages[{}].content: expected a string or an array of text parts", i));
}

}  // namespace

void parse_sampling_extras(const Json& j, net::SamplingExtras& x) {
  auto present = [&](const char* k) { return j.contains(k) && !j[k].is_null(); };
  constexpr int64_t kIntMax = INT32_MAX;
  if (present("top_k")) {
    x.top_k = int_field(j, "top_k", -1, kIntMax);
    if (*x.top_k < 0) x.top_k = 0;  // vLLM's -1: off
  }
  if (present("min_p")) x.min_p = number_field(j, "min_p", 0.0, 1.0, false);
  if (present("repetition_penalty")) x.repetition_penalty = number_field(j, "repetition_penalty", 0.0, 10.0, true);
  if (present("frequency_penalty")) x.frequency_penalty = number_field(j, "frequency_penalty", -2.0, 2.0, false);
  if (present("presence_penalty")) x.presence_penalty = number_field(j, "presence_penalty", -2.0, 2.0, false);
  if (present("repeat_last_n")) x.penalty_last_n = int_field(j, "repeat_last_n", -1, kIntMax);
  if (present("penalty_last_n")) x.penalty_last_n = int_field(j, "penalty_last_n", -1, kIntMax);
  if (present("dry_multiplier")) x.dry_multiplier = number_field(j, "dry_multiplier", 0.0, 100.0, false);
  if (present("dry_base")) x.dry_base = number_field(j, "dry_base", 1.0, 100.0, false);
  if (present("dry_allowed_length")) x.dry_allowed_length = int_field(j, "dry_allowed_length", 1, kIntMax);
  if (present("dry_penalty_last_n")) x.dry_penalty_last_n = int_field(j, "dry_penalty_last_n", -1, kIntMax);
  if (present("dry_sequence_breakers")) {
    const Json& b = j["dry_sequence_breakers"];
    if (!b.is_array() || b.size() > 64) bad("field \"dry_sequence_breakers\": expected an array of at most 64 strings");
    std::vector<std::string> v;
    for (const auto& s : b) {
      if (!s.is_string() || s.get<std::string>().size() > 256)
        bad("field \"dry_sequence_breakers\": expected strings of at most 256 bytes");
      v.push_back(s.get<std::string>());
    }
    x.dry_sequence_breakers = std::move(v);
  }
  if (present("logit_bias")) {
    const Json& b = j["logit_bias"];
    if (!b.is_object() || b.size() > 1024)
      bad("field \"logit_bias\": expected an object of at most 1024 {\"token id\": bias} entries");
    for (const auto& [key, v] : b.items()) {
      int64_t id = -1;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
      if (ec != std::errc() || end != key.data() + key.size() || id < 0 || id > kIntMax)
        bad(fmt::format("field \"logit_bias\": key \"{}\" is not a token id", key));
      if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < -100 || v.get<double>() > 100)
        bad(fmt::format("field \"logit_bias\": the bias of token {} must be a number in [-100, 100]", id));
      x.logit_bias.emplace_back(static_cast<int32_t>(id), v.get<double>());
    }
  }
}

namespace {

// The fields chat and plain completions share: sampling, max_tokens, stop, seed, n, stream.
void parse_common_fields(const Json& j, ParsedRequest& out, const ApiLimits& limits) {
  auto& c = out.chat;
  auto present = [&](const char* k) { return j.contains(k) && !j[k].is_null(); };
  if (present("temperature")) c.temperature = number_field(j, "temperature", 0.0, 2.0, false);
  if (present("top_p")) c.top_p = number_field(j, "top_p", 0.0, 1.0, true);
  if (present("max_tokens")) c.max_tokens = int_field(j, "max_tokens", 1, limits.max_tokens_cap);
  else if (present("max_completion_tokens"))
    c.max_tokens = int_field(j, "max_completion_tokens", 1, limits.max_tokens_cap);
  if (present("seed")) c.seed = int_field(j, "seed", INT64_MIN, INT64_MAX);
  parse_sampling_extras(j, c.extras);
  if (present("response_format")) {
    const Json& rf = j["response_format"];
    if (!rf.is_object() || !rf.contains("type") || !rf["type"].is_string())
      bad("field \"response_format\": expected {\"type\": \"text\" | \"json_object\" | \"json_schema\"}");
    const std::string type = rf["type"].get<std::string>();
    if (type == "json_object") {
      c.json_response = "";
    } else if (type == "json_schema") {
      if (!rf.contains("json_schema") || !rf["json_schema"].is_object() || !rf["json_schema"].contains("schema") ||
          !rf["json_schema"]["schema"].is_object())
        bad("field \"response_format.json_schema.schema\": expected an object");
      c.json_response = rf["json_schema"]["schema"].dump();
    } else if (type != "text") {
      bad(fmt::format("field \"response_format\": type \"{}\" is not one of text, json_object, json_schema", type));
    }
  }
  if (present("n")) out.n = static_cast<int>(int_field(j, "n", 1, kMaxChoices));
  if (present("stop")) parse_stop_strings(j["stop"], "field \"stop\"", c.stop);
  if (present("stream")) {
    if (!j["stream"].is_boolean()) bad("field \"stream\": expected true or false");
    out.stream = j["stream"].get<bool>();
  }
  if (present("stream_options")) {
    const Json& so = j["stream_options"];
    if (!so.is_object()) bad("field \"stream_options\": expected an object");
    if (so.contains("include_usage")) {
      if (!so["include_usage"].is_boolean()) bad("field \"stream_options.include_usage\": expected true or false");
      out.include_usage = so["include_usage"].get<bool>();
    }
  }
}

std::string parse_model(const Json& j) {
  if (auto it = j.find("model"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) bad("field \"model\": expected a string");
    return it->get<std::string>();
  }
  return {};
}

}  // namespace

Json parse_json_body(std::string_view body, const ApiLimits& limits) {
  if (json_depth(body, limits.max_json_depth) > limits.max_json_depth)
    bad(fmt::format("request body nests deeper than {} levels", limits.max_json_depth));
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad("request body is not valid JSON");
  if (!j.is_object()) bad("request body must be a JSON object");
  return j;
}

void parse_stop_strings(const Json& v, const std::string& label, std::vector<std::string>& out) {
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    if (v.size() > 16) bad(label + ": at most 16 stop strings");
    for (const auto& x : v) {
      if (!x.is_string()) bad(label + ": expected strings");
      out.push_back(x.get<std::string>());
    }
  } else {
    bad(label + ": expected a string or an array of strings");
  }
  std::erase_if(out, [](const std::string& x) { return x.empty(); });
}

ParsedRequest parse_chat_request(std::string_view body, const ApiLimits& limits) {
  const Json j = parse_json_body(body, limits);
  ParsedRequest out;
  auto& c = out.chat;
  c.model = parse_model(j);
  auto msgs = j.find("messages");
  if (msgs == j.end() || !msgs->is_array() || msgs->empty()) bad("field \"messages\": expected a non-empty array");
  if (msgs->size() > limits.max_messages)
    bad(fmt::format("field \"messages\": more than {} messages", limits.max_messages));
  for (size_t i = 0; i < msgs->size(); ++i) {
    const Json& m = (*msgs)[i];
    if (!m.is_object()) bad(fmt::format("messages[{}]: expected an object", i));
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) bad(fmt::format("messages[{}].role: expected a string", i));
    std::string r = role->get<std::string>();
    if (r == "developer") r = "system";
    if (r != "system" && r != "user" && r != "assistant" && r != "tool")
      bad(fmt::format("messages[{}].role: \"{}\" is not one of system, user, assistant, tool", i, r));
    c.messages.push_back({r, message_content(m, i)});
  }
  parse_common_fields(j, out, limits);
  auto present = [&](const char* k) { return j.contains(k) && !j[k].is_null(); };
  bool logprobs = false;
  if (present("logprobs")) {
    if (!j["logprobs"].is_boolean()) bad("field \"logprobs\": expected true or false");
    logprobs = j["logprobs"].get<bool>();
  }
  if (present("top_logprobs")) {
    const auto n = static_cast<int>(int_field(j, "top_logprobs", 0, 20));
    if (!logprobs) bad("field \"top_logprobs\": needs \"logprobs\": true");
    c.top_logprobs = n;
  } else if (logprobs) {
    c.top_logprobs = 0;
  }
  return out;
}

Json usage_json(const net::Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.total_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

Json speculative_json(const net::EngineLoad& l) {
  return {{"steps", l.draft_steps},
          {"drafted", l.drafted},
          {"accepted", l.draft_accepted},
          {"rejected", l.drafted - l.draft_accepted},
          {"acceptance",
           l.drafted > 0 ? static_cast<double>(l.draft_accepted) / static_cast<double>(l.drafted) : 0.0}};
}

std::string draft_log(const net::ChatResponse& r) {
  if (r.drafted_tokens == 0) return "";
  return fmt::format(", {} drafted / {} accepted", r.drafted_tokens, r.accepted_tokens);
}

Json cache_stats_json(const net::CacheStats& c) {
  auto rate = [](int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  return {{"enabled", c.enabled},
          {"requests", c.requests},
          {"hits", c.hits},
          {"hit_rate", rate(c.hits, c.requests)},
          {"prompt_tokens", c.prompt_tokens},
          {"cached_tokens", c.cached_tokens},
          {"cached_token_rate", rate(c.cached_tokens, c.prompt_tokens)}};
}

Json kv_cache_json(const net::KvCacheInfo& kv) {
  return {{"type", kv.type},
          {"bytes", kv.bytes},
          {"mib", static_cast<double>(kv.bytes) / (1 << 20)},
          {"bytes_per_token", kv.bytes_per_token},
          {"written_bytes", kv.bytes_written},
          {"written_mib", static_cast<double>(kv.bytes_written) / (1 << 20)}};
}

ParsedRequest parse_completion_request(std::string_view body, const ApiLimits& limits) {
  const Json j = parse_json_body(body, limits);
  ParsedRequest out;
  auto& c = out.chat;
  c.model = parse_model(j);
  auto it = j.find("prompt");
  if (it == j.end() || it->is_null()) bad("field \"prompt\": missing (a string or an array of token ids)");
  Json prompt = *it;
  if (prompt.is_array() && prompt.size() == 1 && (prompt[0].is_string() || prompt[0].is_array())) prompt = prompt[0];
  if (prompt.is_string()) {
    c.prompt_text = prompt.get<std::string>();
    if (c.prompt_text->empty()) bad("field \"prompt\": empty");
  } else if (prompt.is_array() && !prompt.empty()) {
    for (const auto& x : prompt) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() > INT32_MAX)
        bad("field \"prompt\": expected a string, token ids, or one of those in an array of one");
      c.prompt_ids.push_back(static_cast<int32_t>(x.get<int64_t>()));
    }
  } else {
    bad("field \"prompt\": expected a string, token ids, or one of those in an array of one");
  }
  c.max_tokens = 16;  // the legacy API's default
  parse_common_fields(j, out, limits);
  auto present = [&](const char* k) { return j.contains(k) && !j[k].is_null(); };
  if (present("logprobs")) c.top_logprobs = static_cast<int>(int_field(j, "logprobs", 0, 20));
  if (present("echo")) {
    if (!j["echo"].is_boolean()) bad("field \"echo\": expected true or false");
    if (j["echo"].get<bool>()) bad("field \"echo\": only false is supported");
  }
  if (present("suffix")) bad("field \"suffix\": not supported");
  if (present("best_of") && int_field(j, "best_of", 1, 1000) != 1) bad("field \"best_of\": only 1 is supported");
  return out;
}

Json legacy_logprobs_json(const std::vector<net::TokenLogprob>& lps, size_t text_offset) {
  Json tokens = Json::array(), lp = Json::array(), top = Json::array(), offsets = Json::array();
  for (const auto& t : lps) {
    tokens.push_back(t.token);
    lp.push_back(t.logprob);
    Json alt = Json::object();
    for (const auto& [tok, l] : t.top) alt[tok] = l;
    top.push_back(std::move(alt));
    offsets.push_back(text_offset);
    text_offset += t.token.size();
  }
  return {{"tokens", tokens}, {"token_logprobs", lp}, {"top_logprobs", top}, {"text_offset", offsets}};
}

Json text_completion_json(const net::ChatResponse& r, const std::string& id, const std::string& model,
                          int64_t created) {
  return {{"id", id},
          {"object", "text_completion"},
          {"created", created},
          {"model", model},
          {"choices",
           {{{"index", 0},
             {"text", r.content},
             {"logprobs", r.logprobs ? legacy_logprobs_json(*r.logprobs, 0) : Json()},
             {"finish_reason", r.finish_reason}}}},
          {"usage", usage_json(r.usage)}};
}

Json text_chunk_json(const std::string& id, const std::string& model, int64_t created, std::string_view text,
                     const std::string& finish_reason, const Json& logprobs) {
  return {{"id", id},
          {"object", "text_completion"},
          {"created", created},
          {"model", model},
          {"choices",
           {{{"index", 0},
             {"text", std::string(text)},
             {"logprobs", logprobs},
             {"finish_reason", finish_reason.empty() ? Json() : Json(finish_reason)}}}}};
}

Json logprobs_json(const std::vector<net::TokenLogprob>& lps) {
  auto bytes = [](const std::string& s) {
    Json b = Json::array();
    for (unsigned char ch : s) b.push_back(static_cast<int>(ch));
    return b;
  };
  Json content = Json::array();
  for (const auto& t : lps) {
    Json top = Json::array();
    for (const auto& [tok, lp] : t.top) top.push_back({{"token", tok}, {"logprob", lp}, {"bytes", bytes(tok)}});
    content.push_back({{"token", t.token}, {"logprob", t.logprob}, {"bytes", bytes(t.token)}, {"top_logprobs", top}});
  }
  return {{"content", content}};
}

Json completion_json(const net::ChatResponse& r, const std::string& id, const std::string& model, int64_t created) {
  return {{"id", id},
          {"object", "chat.completion"},
          {"created", created},
          {"model", model},
          {"choices",
           {{{"index", 0},
             {"message", {{"role", "assistant"}, {"content", r.content}}},
             {"logprobs", r.logprobs ? logprobs_json(*r.logprobs) : Json()},
             {"finish_reason", r.finish_reason}}}},
          {"usage", usage_json(r.usage)}};
}

Json chunk_json(const std::string& id, const std::string& model, int64_t created, std::string_view delta,
                bool role_first, const std::string& finish_reason, const Json& logprobs) {
  Json d = Json::object();
  if (role_first) d["role"] = "assistant";
  if (role_first || !delta.empty()) d["content"] = std::string(delta);
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices",
           {{{"index", 0},
             {"delta", d},
             {"logprobs", logprobs},
             {"finish_reason", finish_reason.empty() ? Json() : Json(finish_reason)}}}}};
}

Json usage_chunk_json(const std::string& id, const std::string& model, int64_t created, const net::Usage& u) {
  return {{"id", id},
          {"object", "chat.completion.chunk"},
          {"created", created},
          {"model", model},
          {"choices", Json::array()},
          {"usage", usage_json(u)}};
}

Json error_json(const std::string& message, const std::string& type, const std::string& code) {
  return {{"error", {{"message", message}, {"type", type}, {"code", code.empty() ? Json() : Json(code)}}}};
}

net::Usage summed_usage(const std::vector<net::ChatResponse>& replies) {
  net::Usage u;
  if (replies.empty()) return u;
  u.prompt_tokens = replies.front().usage.prompt_tokens;  // one prompt, counted once
  u.cached_tokens = replies.front().usage.cached_tokens;
  for (const auto& r : replies) u.completion_tokens += r.usage.completion_tokens;
  u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return u;
}

Json with_choice_index(Json chunk, int index) {
  for (auto& c : chunk["choices"]) c["index"] = index;
  return chunk;
}

Json choices_json(const std::vector<net::ChatResponse>& replies, bool plain, const std::string& id,
                  const std::string& model, int64_t created) {
  Json out;
  Json choices = Json::array();
  for (size_t i = 0; i < replies.size(); ++i) {
    Json one = plain ? text_completion_json(replies[i], id, model, created)
                     : completion_json(replies[i], id, model, created);
    if (i == 0) out = one;
    choices.push_back(with_choice_index(one, static_cast<int>(i))["choices"][0]);
  }
  out["choices"] = std::move(choices);
  out["usage"] = usage_json(summed_usage(replies));
  return out;
}

Json models_json(const std::string& model, int64_t created) {
  return {{"object", "list"},
          {"data", {{{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "longwriter"}}}}};
}

std::string sse_event(const Json& j) {
  return "data: " + j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
}

}  // namespace lw::serve
