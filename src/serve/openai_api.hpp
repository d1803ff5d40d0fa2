#pragma once
// The server side of the OpenAI chat-completions API: parsing and validating a request body into a
// net::ChatRequest, and building the reply bodies (whole completion, streamed chunks, errors,
// the model list). Pure functions, no I/O, tested directly.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "io/json_read.hpp"
#include "net/chat.hpp"

namespace lw::serve {

struct ApiLimits {
  int max_json_depth = 32;        // nesting of arrays/objects in a request body
  size_t max_messages = 4096;     // messages in one request
  int64_t max_tokens_cap = 1 << 20;  // largest max_tokens accepted
};

// A parsed /v1/chat/completions request.
struct ParsedRequest {
  net::ChatRequest chat;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  int n = 1;                   // choices to generate (1..kMaxChoices; the server bounds it further)
};

// The most choices (n) the parser accepts; a server accepts at most 4 x its parallel sequences.
constexpr int kMaxChoices = 128;

// Thrown for a request the server must refuse with 400; the message names the field.
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Deepest nesting of [ and { in a JSON text (io/json_read.hpp): lets the server refuse deeply
// nested bodies before parsing them.
using io::json_depth;

// Parses and validates a request body: messages (role system/user/assistant/tool, content a string
// or an array of {"type":"text","text":...} parts), temperature [0, 2], top_p (0, 1], max_tokens
// (or max_completion_tokens) >= 1, stop (string or array of up to 16 strings), seed, stream,
// stream_options, n (1..kMaxChoices), logprobs (bool) and top_logprobs (0..20, needs logprobs), and the sampling extras (parse_sampling_extras). Unknown fields are
// ignored. Throws BadRequest.
// A request body as a JSON object, its nesting bounded first (BadRequest otherwise).
nlohmann::json parse_json_body(std::string_view body, const ApiLimits& limits);

// A "stop" value (a string or an array of at most 16 strings; empty ones dropped), appended to
// `out`. LABEL names the field in the BadRequest ("field \"stop\"", "options.stop").
void parse_stop_strings(const nlohmann::json& v, const std::string& label, std::vector<std::string>& out);

ParsedRequest parse_chat_request(std::string_view body, const ApiLimits& limits = {});

// The sampling fields beyond temperature/top_p/seed, range-checked (BadRequest names the field):
// top_k >= -1 (0 and -1: off), min_p [0, 1], repetition_penalty (0, 10], frequency_penalty and
// presence_penalty [-2, 2], repeat_last_n (or penalty_last_n) >= -1, dry_multiplier [0, 100],
// dry_base [1, 100], dry_allowed_length >= 1, dry_penalty_last_n >= -1, dry_sequence_breakers (array
// of strings), logit_bias ({"token id": bias in [-100, 100]}, ids checked against the vocabulary
// when the request runs).
void parse_sampling_extras(const nlohmann::json& body, net::SamplingExtras& out);

// A /v1/completions request (the legacy API): prompt (a string, token ids, or either in an array of
// one), max_tokens (default 16), logprobs N (0..20, the legacy integer form), echo (false only), and
// the fields chat has (temperature, top_p, stop, seed, n, stream, stream_options, sampling extras).
ParsedRequest parse_completion_request(std::string_view body, const ApiLimits& limits = {});
// {"id", "object":"text_completion", "created", "model", "choices":[{"index", "text", "logprobs",
// "finish_reason"}], "usage"}; logprobs in the legacy form (legacy_logprobs_json) or null.
nlohmann::json text_completion_json(const net::ChatResponse& r, const std::string& id, const std::string& model,
                                    int64_t created);
// One streamed "text_completion" object; finish_reason non-empty on the last.
nlohmann::json text_chunk_json(const std::string& id, const std::string& model, int64_t created,
                               std::string_view text, const std::string& finish_reason,
                               const nlohmann::json& logprobs = nullptr);
// {"tokens", "token_logprobs", "top_logprobs":[{token: logprob}], "text_offset"} (offsets in bytes
// of the tokens' text, from text_offset).
nlohmann::json legacy_logprobs_json(const std::vector<net::TokenLogprob>& logprobs, size_t text_offset);

// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details":{"cached_tokens"}}
// (OpenAI's usage object; the SDKs read usage.prompt_tokens_details.cached_tokens).
nlohmann::json usage_json(const net::Usage& u);
// The KV cache on /health: {"type", "bytes", "mib", "bytes_per_token"}.
nlohmann::json kv_cache_json(const net::KvCacheInfo& kv);
// The prefix cache on /health: {"enabled", "requests", "hits", "hit_rate", "prompt_tokens",
// "cached_tokens", "cached_token_rate"}.
nlohmann::json cache_stats_json(const net::CacheStats& c);
// /health's "speculative": {"steps", "drafted", "accepted", "rejected", "acceptance"} of the
// in-process engine's speculative decoding; a request log's ", D drafted / A accepted" ("" when 0).
nlohmann::json speculative_json(const net::EngineLoad& l);
std::string draft_log(const net::ChatResponse& r);
// {"id", "object":"chat.completion", "created", "model", "choices":[...], "usage"}.
nlohmann::json completion_json(const net::ChatResponse& r, const std::string& id, const std::string& model,
                               int64_t created);
// One "chat.completion.chunk". role_first: the opening chunk (delta {"role":"assistant"}).
// finish_reason non-empty: the closing chunk. With usage set, a chunk carrying usage and an empty
// choices list (OpenAI's include_usage chunk).
nlohmann::json chunk_json(const std::string& id, const std::string& model, int64_t created,
                          std::string_view delta, bool role_first, const std::string& finish_reason,
                          const nlohmann::json& logprobs = nullptr);
// OpenAI's {"content": [{"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}]}.
nlohmann::json logprobs_json(const std::vector<net::TokenLogprob>& logprobs);
nlohmann::json usage_chunk_json(const std::string& id, const std::string& model, int64_t created,
                                const net::Usage& usage);
// {"error": {"message", "type", "code"}}; code may be empty (null).
nlohmann::json error_json(const std::string& message, const std::string& type, const std::string& code = "");
// OpenAI's n: the replies of one request (ChatBackend::complete_n) as one reply body, choices[i]
// from replies[i] with its own finish_reason; usage counts the prompt once and sums the completion
// tokens (summed_usage).
nlohmann::json choices_json(const std::vector<net::ChatResponse>& replies, bool plain, const std::string& id,
                            const std::string& model, int64_t created);
net::Usage summed_usage(const std::vector<net::ChatResponse>& replies);
// A streamed chunk (chunk_json, text_chunk_json) relabelled as choice `index`.
nlohmann::json with_choice_index(nlohmann::json chunk, int index);
// {"object":"list","data":[{"id": model, "object":"model", ...}]}.
nlohmann::json models_json(const std::string& model, int64_t created);
// "data: <json>\n\n".
std::string sse_event(const nlohmann::json& j);

}  // namespace lw::serve
