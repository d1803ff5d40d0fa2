#pragma once
// The JSON of the OpenAI chat-completions API: the request body, the non-streaming reply, one
// streamed chunk, and the error object. Pure functions (no I/O) so they are tested directly.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/chat.hpp"

namespace lw::net {

// {"model", "messages", "temperature", "top_p", "max_tokens", "stop", "seed", "stream"} and the
// sampling extras (add_sampling_extras); unset
// options are left out so the server's defaults apply. With stream and include_usage, asks for a
// final usage chunk ("stream_options": {"include_usage": true}).
// Adds the set fields of x to a request body under vLLM's / llama-server's / OpenAI's names:
// top_k, min_p, repetition_penalty, frequency_penalty, presence_penalty, repeat_last_n,
// dry_multiplier, dry_base, dry_allowed_length, dry_penalty_last_n, dry_sequence_breakers,
// logit_bias ({"id": bias}).
void add_sampling_extras(nlohmann::json& body, const SamplingExtras& x);
nlohmann::json build_request_body(const ChatRequest& req, const std::string& default_model, bool stream,
                                  bool include_usage);

// Parses a non-streaming reply body. Throws ProtocolError when it is not JSON or has no choices.
ChatResponse parse_completion(std::string_view body);

// What one streamed chunk ("data: {...}") carries.
struct StreamChunk {
  std::string delta;          // text of choices[0].delta.content ("" if none)
  std::string finish_reason;  // "" until the last chunk
  bool has_usage = false;
  Usage usage;
  std::string model;
  bool is_error = false;      // {"error": {...}} sent inside the stream
  std::string error_message;
};
// Throws ProtocolError when the data is not a JSON object.
StreamChunk parse_stream_chunk(std::string_view data);

// The server's error text from an error body: error.message, error (a string), message, detail,
// or else the body itself; truncated to max_chars. Never throws.
std::string extract_error_message(std::string_view body, size_t max_chars = 600);
// error.code of an error body ("" if none), e.g. "context_length_exceeded".
std::string extract_error_code(std::string_view body);

}  // namespace lw::net
