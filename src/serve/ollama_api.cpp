#include "serve/ollama_api.hpp"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace lw::serve {

using Json = nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& msg) {
  throw BadRequest(msg);
}

bool present(const Json& j, const char* k) {
  return j.contains(k) && !j[k].is_null();
}

std::string string_field(const Json& j, const char* name, const std::string& where) {
  if (!present(j, name)) return {};
  if (!j[name].is_string()) bad(fmt::format("{}{}: expected a string", where, name));
  return j[name].get<std::string>();
}

double number_option(const Json& o, const char* name, double lo, double hi) {
  const Json& v = o[name];
  if (!v.is_number()) bad(fmt::format("options.{}: expected a number", name));
  double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    bad(fmt::format("options.{}: {} is out of range [{}, {}]", name, d, lo, hi));
  return d;
}

int64_t int_option(const Json& o, const char* name, int64_t lo, int64_t hi) {
  const Json& v = o[name];
  int64_t x = 0;
  if (v.is_number_integer() &&
      !(v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
    x = v.get<int64_t>();
  else if (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>() &&
           std::fabs(v.get<double>()) < 9e15)
    x = static_cast<int64_t>(v.get<double>());
  else
    bad(fmt::format("options.{}: expected an integer", name));
  if (x < lo || x > hi) bad(fmt::format("options.{}: {} is out of range [{}, {}]", name, x, lo, hi));
  return x;
}

// "stream" and "options" (the sampling fields both endpoints share).
void parse_common(const Json& j, OllamaRequest& out, const ApiLimits& limits) {
  out.chat.model = string_field(j, "model", "");
  if (present(j, "stream")) {
    if (!j["stream"].is_boolean()) bad("stream: expected true or false");
    out.stream = j["stream"].get<bool>();
  }
  if (present(j, "format")) {
    const Json& f = j["format"];
    if (f.is_string() && f.get<std::string>() == "json")
      out.chat.json_response = "";  // any JSON value
    else if (f.is_object())
      out.chat.json_response = f.dump();  // a JSON Schema
    else if (!(f.is_string() && f.get<std::string>().empty()))
      bad("format: expected \"json\" or a JSON Schema object");
  }
  if (!present(j, "options")) return;
  const Json& o = j["options"];
  if (!o.is_object()) bad("options: expected an object");
  auto& c = out.chat;
  // top_k, min_p, repeat_last_n, presence_penalty, frequency_penalty: the OpenAI route's parser
  // (its names); Ollama's repeat_penalty is its repetition_penalty.
  Json extras = o;
  extras.erase("logit_bias");
  if (present(o, "repeat_penalty")) extras["repetition_penalty"] = o["repeat_penalty"];
  parse_sampling_extras(extras, c.extras);
  if (present(o, "temperature")) c.temperature = number_option(o, "temperature", 0.0, 2.0);
  if (present(o, "top_p")) {
    double p = number_option(o, "top_p", 0.0, 1.0);
    if (p > 0) c.top_p = p;  // Ollama reads 0 as "no top-p"
  }
  if (present(o, "num_predict")) {
    int64_t n = int_option(o, "num_predict", -2, limits.max_tokens_cap);
    if (n > 0) c.max_tokens = n;  // -1: until the end of the text, -2: fill the context
  }
  if (present(o, "seed")) c.seed = int_option(o, "seed", INT64_MIN, INT64_MAX);
  if (present(o, "stop")) parse_stop_strings(o["stop"], "options.stop", c.stop);
}

Json details_json(const ModelCard& card) {
  return {{"parent_model", ""},
          {"format", card.format},
          {"family", card.family},
          {"families", {card.family}},
          {"parameter_size", card.parameter_size},
          {"quantization_level", card.quantization_level}};
}

std::string modified_at(const ModelCard& card) {
  return rfc3339_nanos(card.modified_unix * 1000000000);
}

int64_t nanos(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1e9));
}

}  // namespace

OllamaRequest parse_ollama_chat(std::string_view body, const ApiLimits& limits) {
  Json j = parse_json_body(body, limits);
  OllamaRequest out;
  parse_common(j, out, limits);
  if (!present(j, "messages")) {
    out.load_only = true;
    return out;
  }
  const Json& msgs = j["messages"];
  if (!msgs.is_array()) bad("messages: expected an array");
  if (msgs.size() > limits.max_messages)
    bad(fmt::format("messages: more than {} messages", limits.max_messages));
  for (size_t i = 0; i < msgs.size(); ++i) {
    const Json& m = msgs[i];
    const std::string where = fmt::format("messages[{}].", i);
    if (!m.is_object()) bad(fmt::format("messages[{}]: expected an object", i));
    std::string role = string_field(m, "role", where);
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
      bad(fmt::format("{}role: \"{}\" is not one of system, user, assistant, tool", where, role));
    if (present(m, "images") && m["images"].is_array() && !m["images"].empty())
      bad(fmt::format("{}images: this model reads text only", where));
    out.chat.messages.push_back({role, string_field(m, "content", where)});
  }
  out.load_only = out.chat.messages.empty();
  return out;
}

OllamaRequest parse_ollama_generate(std::string_view body, const ApiLimits& limits) {
  Json j = parse_json_body(body, limits);
  OllamaRequest out;
  parse_common(j, out, limits);
  if (present(j, "images") && j["images"].is_array() && !j["images"].empty())
    bad("images: this model reads text only");
  const std::string system = string_field(j, "system", "");
  const std::string prompt = string_field(j, "prompt", "");
  if (prompt.empty()) {
    out.load_only = true;
    return out;
  }
  if (present(j, "raw")) {
    if (!j["raw"].is_boolean()) bad("raw: expected true or false");
    if (j["raw"].get<bool>()) {
      out.chat.prompt_text = prompt;  // no chat format: the text as it is
      return out;
    }
  }
  if (!system.empty()) out.chat.messages.push_back({"system", system});
  out.chat.messages.push_back({"user", prompt});
  return out;
}

std::string parse_ollama_show(std::string_view body) {
  Json j = parse_json_body(body, ApiLimits{});
  std::string m = string_field(j, "model", "");
  if (m.empty()) m = string_field(j, "name", "");
  if (m.empty()) bad("model: required");
  return m;
}

bool ollama_names_model(std::string_view requested, std::string_view served) {
  if (requested == served) return true;
  constexpr std::string_view latest = ":latest";
  return requested.size() == served.size() + latest.size() && requested.substr(0, served.size()) == served &&
         requested.substr(served.size()) == latest;
}

std::string rfc3339_nanos(int64_t unix_nanos) {
  const std::time_t secs = static_cast<std::time_t>(unix_nanos / 1000000000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_nanos % 1000000000);
}

Json ollama_delta_json(OllamaKind kind, const std::string& model, const std::string& created_at,
                       std::string_view delta) {
  Json j = {{"model", model}, {"created_at", created_at}};
  if (kind == OllamaKind::chat)
    j["message"] = {{"role", "assistant"}, {"content", std::string(delta)}};
  else
    j["response"] = std::string(delta);
  j["done"] = false;
  return j;
}

Json ollama_final_json(OllamaKind kind, const std::string& model, const std::string& created_at,
                       const net::ChatResponse& r, bool with_content) {
  Json j = ollama_delta_json(kind, model, created_at, with_content ? std::string_view(r.content) : "");
  j["done"] = true;
  j["done_reason"] = r.finish_reason.empty() ? "stop" : r.finish_reason;
  j["total_duration"] = nanos(r.seconds);
  j["load_duration"] = 0;
  j["prompt_eval_count"] = r.usage.prompt_tokens;
  j["prompt_eval_duration"] = nanos(r.prefill_seconds);
  j["eval_count"] = r.usage.completion_tokens;
  j["eval_duration"] = nanos(r.decode_seconds);
  return j;
}

Json ollama_load_json(OllamaKind kind, const std::string& model, const std::string& created_at) {
  Json j = ollama_delta_json(kind, model, created_at, "");
  j["done"] = true;
  j["done_reason"] = "load";
  return j;
}

Json ollama_error_json(const std::string& message) {
  return {{"error", message}};
}

Json ollama_error_body(const Json& openai_error) {
  const Json* e =
      openai_error.is_object() && openai_error.contains("error") ? &openai_error["error"] : nullptr;
  if (e && e->is_object() && e->contains("message") && (*e)["message"].is_string())
    return ollama_error_json((*e)["message"].get<std::string>());
  return openai_error;
}

Json ollama_tags_json(const std::string& model, const ModelCard& card) {
  return {{"models",
           {{{"name", model},
             {"model", model},
             {"modified_at", modified_at(card)},
             {"size", card.size_bytes},
             {"digest", card.digest},
             {"details", details_json(card)}}}}};
}

Json ollama_show_json(const std::string& model, const ModelCard& card) {
  const std::string& a = card.family;
  Json info = {{"general.architecture", a},
               {"general.basename", model},
               {"general.parameter_count", card.parameter_count},
               {a + ".context_length", card.context_length},
               {a + ".embedding_length", card.embedding_length},
               {a + ".block_count", card.block_count},
               {a + ".attention.head_count", card.head_count},
               {a + ".attention.head_count_kv", card.head_count_kv},
               {a + ".vocab_size", card.vocab_size}};
  return {{"modelfile", fmt::format("# served by longwriter serve\nFROM {}\n", model)},
          {"parameters", ""},
          {"template", card.chat_format},
          {"details", details_json(card)},
          {"model_info", info},
          {"capabilities", {"completion"}},
          {"modified_at", modified_at(card)}};
}

std::string ndjson_line(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace lw::serve
