#pragma once
// The JSON of the OpenAI chat-completions API: the request body, the non-streaming reply, one
// streamed chunk, and the error object. Pure functions (no I/O) so they are tested directly.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/chat.hpp"

namespace lw::net {

// {"model", "messages", "temperature", "top_p", "max_tokens", "stop", "seed", "stream"}; unset
// options are left out so the server's defaults apply. With stream and include_usage, asks for a
// final usage chunk ("stream_options": {"include_usage": true}).
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
