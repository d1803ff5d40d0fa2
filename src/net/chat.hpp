#pragma once
// The one interface through which every pipeline (write, agentwrite, bench, ruler, judge) talks to
// a model: a remote OpenAI-compatible server (net/openai_client) or the in-process engine. Pipelines
// never care which one they have.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lw::net {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

// Sampling fields beyond temperature, top_p and seed, under the names vLLM, llama-server and
// OpenAI use in a request body; unset (or empty) means the backend's default. The in-process
// engine applies them through its sampler chain (engine/sampler.hpp), a remote server gets them in
// the body.
struct SamplingExtras {
  std::optional<int64_t> top_k;                               // vLLM, llama-server (0 or -1: off)
  std::optional<double> min_p;                                // vLLM, llama-server
  std::optional<double> repetition_penalty;                   // vLLM (HF's definition)
  std::optional<double> frequency_penalty, presence_penalty;  // OpenAI
  std::optional<int64_t> penalty_last_n;                      // llama-server's repeat_last_n
  std::optional<double> dry_multiplier, dry_base;             // llama-server's DRY
  std::optional<int64_t> dry_allowed_length, dry_penalty_last_n;
  std::optional<std::vector<std::string>> dry_sequence_breakers;
  std::vector<std::pair<int32_t, double>> logit_bias;  // OpenAI: token id -> bias
};

// `over`'s set fields replace `base`'s (logit_bias: when non-empty).
SamplingExtras merged(const SamplingExtras& base, const SamplingExtras& over);

// One reply token's log-probability and its most likely alternatives (OpenAI's logprobs.content[]).
struct TokenLogprob {
  std::string token;  // the token's bytes (may be part of a UTF-8 character)
  double logprob = 0.0;
  std::vector<std::pair<std::string, double>> top;
};

struct ChatRequest {
  std::string model;  // may be empty: the backend's default model
  std::vector<ChatMessage> messages;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> max_tokens;
  std::vector<std::string> stop;
  std::optional<int64_t> seed;
  SamplingExtras extras;
  // Set: the reply carries each token's logprob and this many alternatives (0..20); a backend that
  // runs the model calls on_logprobs (when set) with the entries of each streamed piece before the
  // piece's on_delta.
  std::optional<int> top_logprobs;
  // response_format: set to "" for {"type":"json_object"}, or to the JSON Schema's text for
  // {"type":"json_schema"}; the reply is then one JSON value (serve/json_constraint.hpp).
  std::optional<std::string> json_response;
  // A plain completion (/v1/completions): the prompt as text (tokenized, BOS added, no chat
  // template) or as token ids; `messages` is then ignored and the model's EOS ids end the reply.
  std::optional<std::string> prompt_text;
  std::vector<int32_t> prompt_ids;
  std::function<void(std::vector<TokenLogprob>)> on_logprobs;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cached_tokens =
      0;  // prompt tokens served from a prefix cache (prompt_tokens_details.cached_tokens)
};

struct ChatResponse {
  std::string content;
  std::string finish_reason;  // "stop", "length", ... ("length" means the output was truncated)
  Usage usage;
  std::string model;
  double seconds = 0.0;  // wall time of the request, retries included
  // The in-process engine's split of `seconds`: until the first token (queue + prefill) and after
  // it (decode). 0 when the backend does not know (a remote server).
  double prefill_seconds = 0.0, decode_seconds = 0.0;
  // The in-process engine's speculative decoding: reply tokens drafted and accepted (0 when off).
  int64_t drafted_tokens = 0, accepted_tokens = 0;
  std::optional<std::vector<TokenLogprob>> logprobs;  // when the request asked for them
};

// Prefix-cache counters of a backend that has one (the in-process engine).
struct CacheStats {
  bool enabled = false;
  int64_t requests = 0;       // sequences started
  int64_t hits = 0;           // ... that reused a cached prefix
  int64_t prompt_tokens = 0;  // prompt tokens of those sequences
  int64_t cached_tokens = 0;  // ... taken from the cache instead of computed
};

// The KV cache of a backend that runs the model itself (for /health and the end-of-run reports).
struct KvCacheInfo {
  std::string type;             // f32, f16, bf16, q8_0 or q4_0 (--kv-cache)
  int64_t bytes = 0;            // reserved for every slot's whole context
  int64_t bytes_per_token = 0;  // keys and values of one token, all layers
  // Written so far: each slot's longest length, summed, times bytes_per_token. The reservation is
  // address space; the OS commits memory as rows are first written, so this is what the cache takes.
  int64_t bytes_written = 0;
};

// What a backend that runs the model itself is doing now (for a server's /metrics).
struct EngineLoad {
  int64_t running = 0;         // sequences in a KV cache slot
  int64_t waiting = 0;         // sequences queued for a slot
  int64_t kv_cells_used = 0;   // KV cache cells holding a token (kept prefixes included)
  int64_t kv_cells_total = 0;  // cells reserved (slots x context)
  // Since the start: forward passes that decoded at least one token, the tokens they decoded (their
  // ratio: sequences sharing each read of the weights), and the most in one pass.
  int64_t decode_steps = 0, decode_rows = 0, max_decode_seqs = 0;
  // Of them, the passes with no prompt chunk: the tokens they emitted and their seconds (the aggregate
  // decode rate with prefill left out).
  int64_t decode_only_tokens = 0;
  double decode_only_seconds = 0;
  // Speculative decoding (when on): verify steps, tokens drafted and accepted since the start.
  bool speculative = false;
  int64_t draft_steps = 0, drafted = 0, draft_accepted = 0;
};

// Called with each piece of text as it streams in.
using DeltaCallback = std::function<void(std::string_view delta)>;

// Streaming several replies to one request (ChatBackend::complete_n), all from the calling thread:
// on_logprobs (when the request asked for them) before the piece they belong to, on_delta with
// each piece of choice `index`, on_done once that choice has ended.
struct ChoiceCallbacks {
  std::function<void(int index, std::vector<TokenLogprob>)> on_logprobs;
  std::function<void(int index, std::string_view delta)> on_delta;
  std::function<void(int index, const ChatResponse& reply)> on_done;
};

class ChatBackend {
 public:
  virtual ~ChatBackend();
  // Blocking and thread-safe: pipelines call it from many worker threads at once. When on_delta is
  // set the backend streams and calls it with each piece of text (in order, from the calling
  // thread). Throws lw::Error (net/errors.hpp refines it) on failure after the backend's retries.
  virtual ChatResponse complete(const ChatRequest& request, const DeltaCallback& on_delta = {}) = 0;
  // n >= 1 replies to one request (OpenAI's n): reply i samples with seed + i when the request has
  // a seed. Each reply's usage is its own (prompt_tokens in every one). The default calls
  // complete() n times in turn; the in-process engine decodes them together, the prompt
  // prefilled once. Callbacks as in ChoiceCallbacks (streaming when on_delta is set).
  virtual std::vector<ChatResponse> complete_n(const ChatRequest& request, int n,
                                               const ChoiceCallbacks& cb = {});
  // How many requests the backend can usefully serve at once (a hint for pipeline concurrency).
  virtual int suggested_concurrency() const { return 1; }
  // Human-readable name for logs and reports, never containing secrets.
  virtual std::string describe() const = 0;
  // The number of tokens `text` is for this backend's model, when it knows its tokenizer (the
  // in-process engine); nullopt for a remote server.
  virtual std::optional<int64_t> count_tokens(std::string_view text) const {
    (void)text;
    return std::nullopt;
  }
  // Prefix-cache counters, when the backend has a prefix cache.
  virtual std::optional<CacheStats> cache_stats() const { return std::nullopt; }
  // Current load, when the backend runs the model itself.
  virtual std::optional<EngineLoad> engine_load() const { return std::nullopt; }
  // Its KV cache's type and size, when the backend runs the model itself.
  virtual std::optional<KvCacheInfo> kv_cache_info() const { return std::nullopt; }
};

}  // namespace lw::net
