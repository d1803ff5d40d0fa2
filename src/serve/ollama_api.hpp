#pragma once
// The server side of Ollama's native API (https://github.com/ollama/ollama/blob/main/docs/api.md):
// parsing /api/chat and /api/generate bodies into the same net::ChatRequest the OpenAI routes use,
// and building the reply objects (whole replies, NDJSON stream lines, /api/tags, /api/show,
// {"error": "..."}). Pure functions, no I/O, tested directly (tests/serve/test_ollama_api.cpp).
//
// Mapped: model, messages (role system/user/assistant/tool, content a string) or prompt + system
// (raw: the prompt as text, without the chat format), stream (default true), format ("json" or a
// JSON Schema: response_format), options.temperature, top_p, num_predict (> 0: the token limit;
// -1, -2 or 0: none), seed, stop, top_k, min_p, repeat_penalty, repeat_last_n, presence_penalty,
// frequency_penalty. Ignored: tools, keep_alive, template, think and every other option (num_ctx,
// ...). Images are refused.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/chat.hpp"
#include "serve/openai_api.hpp"

namespace lw::serve {

// What /api/tags and /api/show say about the served model (filled by `serve` from the loaded model;
// serve/model_card.hpp).
struct ModelCard {
  std::string format = "safetensors";  // "gguf" or "safetensors"
  std::string family = "llama";        // engine architecture: llama, glm4
  std::string parameter_size;          // "8.0B", "1.2M"
  std::string quantization_level;      // weight dtype: F32, BF16, F16, Q8_0, Q4_K, ...
  std::string chat_format;             // the engine's chat format name (Ollama's "template")
  int64_t parameter_count = 0;
  int64_t context_length = 0;
  int64_t embedding_length = 0, block_count = 0, head_count = 0, head_count_kv = 0, vocab_size = 0;
  int64_t size_bytes = 0;  // weight bytes
  std::string digest;      // hex identity of the files (name, size, modification time)
  int64_t modified_unix = 0;
};

// A parsed /api/chat or /api/generate request.
struct OllamaRequest {
  net::ChatRequest chat;
  bool stream = true;      // Ollama streams unless "stream": false
  bool load_only = false;  // no messages / empty prompt: Ollama's "load the model" request
};

// /api/chat. Throws BadRequest naming the field.
OllamaRequest parse_ollama_chat(std::string_view body, const ApiLimits& limits = {});
// /api/generate: "system" (if any) then "prompt" as a user turn, rendered with the chat format.
OllamaRequest parse_ollama_generate(std::string_view body, const ApiLimits& limits = {});
// /api/show: the "model" (or older "name") field. Throws BadRequest.
std::string parse_ollama_show(std::string_view body);
// Whether a requested name is the served model: the name itself, or with ":latest".
bool ollama_names_model(std::string_view requested, std::string_view served);

// RFC 3339 UTC with nanoseconds ("2026-12-06T20:47:00.123456789Z"), as Ollama writes created_at.
std::string rfc3339_nanos(int64_t unix_nanos);

// The shared parts of every reply: {"model", "created_at"}; chat adds "message", generate
// "response". A stream line: done false and the delta. The final object: done true, done_reason
// and the counts and durations (nanoseconds) of `r`.
enum class OllamaKind { chat, generate };
nlohmann::json ollama_delta_json(OllamaKind kind, const std::string& model, const std::string& created_at,
                                 std::string_view delta);
nlohmann::json ollama_final_json(OllamaKind kind, const std::string& model, const std::string& created_at,
                                 const net::ChatResponse& r, bool with_content);
// The reply to a load-only request: done true, done_reason "load".
nlohmann::json ollama_load_json(OllamaKind kind, const std::string& model, const std::string& created_at);
// {"error": message}.
nlohmann::json ollama_error_json(const std::string& message);
// An OpenAI error body ({"error": {"message", ...}}, as the access checks write) in Ollama's shape.
nlohmann::json ollama_error_body(const nlohmann::json& openai_error);
// {"models": [{"name", "model", "modified_at", "size", "digest", "details"}]}.
nlohmann::json ollama_tags_json(const std::string& model, const ModelCard& card);
// {"modelfile", "parameters", "template", "details", "model_info", "capabilities", "modified_at"}.
nlohmann::json ollama_show_json(const std::string& model, const ModelCard& card);
// A JSON value and a newline (one NDJSON line).
std::string ndjson_line(const nlohmann::json& j);

}  // namespace lw::serve
