#include "net/openai_json.hpp"

#include "net/errors.hpp"

namespace lw::net {
namespace {

using Json = nlohmann::json;

Usage parse_usage(const Json& u) {
  Usage out;
  if (!u.is_object()) return out;
  auto num = [&](const char* k) -> int64_t {
    auto it = u.find(k);
    return it != u.end() && it->is_number() ? it->get<int64_t>() : 0;
  };
  out.prompt_tokens = num("prompt_tokens");
  out.completion_tokens = num("completion_tokens");
  out.total_tokens = num("total_tokens");
  if (out.total_tokens == 0) out.total_tokens = out.prompt_tokens + out.completion_tokens;
  if (auto d = u.find("prompt_tokens_details"); d != u.end() && d->is_object())
    if (auto c = d->find("cached_tokens"); c != d->end() && c->is_number()) out.cached_tokens = c->get<int64_t>();
  return out;
}

std::string str_or_empty(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string truncate(std::string s, size_t max_chars) {
  if (s.size() <= max_chars) return s;
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 chars
  s.resize(cut);
  return s + "...";
}

Json parse_or_null(std::string_view body) {
  return Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace

void add_sampling_extras(Json& body, const SamplingExtras& x) {
  auto put = [&](const char* name, const auto& v) {
    if (v) body[name] = *v;
  };
  put("top_k", x.top_k);
  put("min_p", x.min_p);
  put("repetition_penalty", x.repetition_penalty);
  put("frequency_penalty", x.frequency_penalty);
  put("presence_penalty", x.presence_penalty);
  put("repeat_last_n", x.penalty_last_n);
  put("dry_multiplier", x.dry_multiplier);
  put("dry_base", x.dry_base);
  put("dry_allowed_length", x.dry_allowed_length);
  put("dry_penalty_last_n", x.dry_penalty_last_n);
  put("dry_sequence_breakers", x.dry_sequence_breakers);
  if (!x.logit_bias.empty()) {
    Json bias = Json::object();
    for (const auto& [id, b] : x.logit_bias) bias[std::to_string(id)] = b;
    body["logit_bias"] = std::move(bias);
  }
}

Json build_request_body(const ChatRequest& req, const std::string& default_model, bool stream,
                        bool include_usage) {
  Json body = Json::object();
  const std::string& model = req.model.empty() ? default_model : req.model;
  if (!model.empty()) body["model"] = model;
  Json msgs = Json::array();
  for (const auto& m : req.messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  body["messages"] = std::move(msgs);
  if (req.temperature) body["temperature"] = *req.temperature;
  if (req.top_p) body["top_p"] = *req.top_p;
  if (req.max_tokens) body["max_tokens"] = *req.max_tokens;
  if (!req.stop.empty()) body["stop"] = req.stop;
  if (req.seed) body["seed"] = *req.seed;
  add_sampling_extras(body, req.extras);
  if (req.json_response) {
    if (req.json_response->empty())
      body["response_format"] = {{"type", "json_object"}};
    else
      body["response_format"] = {{"type", "json_schema"},
                                 {"json_schema", {{"name", "reply"}, {"schema", Json::parse(*req.json_response)}}}};
  }
  if (stream) {
    body["stream"] = true;
    if (include_usage) body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

ChatResponse parse_completion(std::string_view body) {
  Json j = parse_or_null(body);
  if (j.is_discarded() || !j.is_object())
    throw ProtocolError("reply is not a JSON object: " + truncate(std::string(body), 200));
  auto ch = j.find("choices");
  if (ch == j.end() || !ch->is_array() || ch->empty() || !(*ch)[0].is_object())
    throw ProtocolError("reply has no \"choices\": " + truncate(std::string(body), 200));
  const Json& c0 = (*ch)[0];
  ChatResponse r;
  auto msg = c0.find("message");
  if (msg != c0.end()) r.content = str_or_empty(*msg, "content");
  else r.content = str_or_empty(c0, "text");  // completions-style servers
  r.finish_reason = str_or_empty(c0, "finish_reason");
  if (auto u = j.find("usage"); u != j.end()) r.usage = parse_usage(*u);
  r.model = str_or_empty(j, "model");
  return r;
}

StreamChunk parse_stream_chunk(std::string_view data) {
  Json j = parse_or_null(data);
  if (j.is_discarded() || !j.is_object())
    throw ProtocolError("stream event is not a JSON object: " + truncate(std::string(data), 200));
  StreamChunk out;
  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    out.is_error = true;
    out.error_message = extract_error_message(data);
    return out;
  }
  out.model = str_or_empty(j, "model");
  if (auto ch = j.find("choices"); ch != j.end() && ch->is_array() && !ch->empty() && (*ch)[0].is_object()) {
    const Json& c0 = (*ch)[0];
    if (auto d = c0.find("delta"); d != c0.end()) out.delta = str_or_empty(*d, "content");
    else out.delta = str_or_empty(c0, "text");
    out.finish_reason = str_or_empty(c0, "finish_reason");
  }
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    out.has_usage = true;
    out.usage = parse_usage(*u);
  }
  return out;
}

std::string extract_error_message(std::string_view body, size_t max_chars) {
  Json j = parse_or_null(body);
  std::string msg;
  if (j.is_object()) {
    if (auto e = j.find("error"); e != j.end()) {
      if (e->is_string()) msg = e->get<std::string>();
      else msg = str_or_empty(*e, "message");
    }
    if (msg.empty()) msg = str_or_empty(j, "message");
    if (msg.empty()) {
      if (auto d = j.find("detail"); d != j.end()) msg = d->is_string() ? d->get<std::string>() : d->dump();
    }
  }
  if (msg.empty()) msg = std::string(body);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r' || msg.back() == ' ')) msg.pop_back();
  return truncate(std::move(msg), max_chars);
}

std::string extract_error_code(std::string_view body) {
  Json j = parse_or_null(body);
  if (!j.is_object()) return "";
  auto e = j.find("error");
  if (e == j.end() || !e->is_object()) return "";
  auto c = e->find("code");
  if (c == e->end()) return "";
  return c->is_string() ? c->get<std::string>() : c->dump();
}

}  // namespace lw::net
