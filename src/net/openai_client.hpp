#pragma once
// The remote ChatBackend: an OpenAI-compatible chat-completions client over libcurl.
//
//   lw::net::ClientOptions o;
//   o.base_urls = lw::net::split_base_urls("http://gpu1:8000/v1,http://gpu2:8000/v1");
//   o.api_key = lw::net::load_api_key("");   // $OPENAI_API_KEY, registered for log redaction
//   o.default_model = "THUDM/LongWriter-llama3.1-8b";
//   lw::net::OpenAIClient client(o);
//   auto r = client.complete(req);                                      // whole reply
//   auto r2 = client.complete(req, [](std::string_view d) { ... });     // streamed (SSE)
//
// complete() is blocking and thread-safe; at most `concurrency` requests are on the wire at once,
// the other callers wait for a slot. Base URLs are used round-robin; a URL that refuses connections
// is skipped (failover) for a short cool-down. Connect errors, timeouts, 429 and 5xx are retried
// with exponential backoff and jitter (Retry-After honoured); 400/401/403/404 fail at once with
// the server's message (net/errors.hpp). A streamed reply is only retried while no text has been
// delivered to the callback yet.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "net/chat.hpp"

namespace lw::net {

namespace detail {
struct Attempt;
struct CurlHandle;
}  // namespace detail

struct ClientOptions {
  std::vector<std::string> base_urls;  // e.g. "http://127.0.0.1:8000/v1" (".../chat/completions" is appended)
  std::string api_key;                 // sent as "Authorization: Bearer KEY"; empty: no header
  std::string default_model;           // used when a request's model is empty
  int concurrency = 8;                 // requests on the wire at once (>= 1)
  double connect_timeout_s = 10;
  double timeout_s = 900;              // one attempt, connect to last byte
  int max_retries = 6;                 // retries after the first attempt
  double backoff_base_s = 0.5;         // first retry waits 0.25..0.5 s, then doubling ...
  double backoff_cap_s = 30;           // ... up to this ceiling
  double retry_after_cap_s = 300;      // a longer Retry-After is cut to this
  double failover_cooldown_s = 5;      // a URL that refused a connection is skipped this long
  size_t max_response_bytes = 64u << 20;  // a larger reply is a ProtocolError
  bool stream_usage = true;            // ask for usage in the stream (stream_options.include_usage)
};

// Splits "URL1, URL2" on commas, trims blanks and trailing '/'; InputError when empty or when an
// entry is not http(s)://.
std::vector<std::string> split_base_urls(const std::string& list);

// The API key from key_file if given (trimmed; InputError if unreadable or empty), else from
// $OPENAI_API_KEY, else "". A non-empty key is registered with lw::log::add_secret.
std::string load_api_key(const std::string& key_file);

// A URL for logs and messages: user:password@ removed.
std::string display_url(const std::string& url);

class OpenAIClient : public ChatBackend {
 public:
  explicit OpenAIClient(ClientOptions options);
  ~OpenAIClient() override;
  OpenAIClient(const OpenAIClient&) = delete;
  OpenAIClient& operator=(const OpenAIClient&) = delete;

  ChatResponse complete(const ChatRequest& request, const DeltaCallback& on_delta = {}) override;
  int suggested_concurrency() const override { return opts_.concurrency; }
  std::string describe() const override;

  const ClientOptions& options() const { return opts_; }
  // Counters for tests and reports.
  int64_t attempts() const { return attempts_.load(); }
  int64_t retries() const { return retries_.load(); }

 private:
  class Slot;
  using Handle = detail::CurlHandle;

  // One HTTP exchange with one URL; fills the Attempt; throws only what on_delta throws.
  void perform(Handle& h, const std::string& url, const std::string& body, bool stream, detail::Attempt& a,
               const DeltaCallback& on_delta);
  size_t pick_url();
  void mark_down(size_t idx);
  std::string redact(std::string text) const;

  Handle* acquire_handle();
  void release_handle(Handle* h);

  ClientOptions opts_;
  std::atomic<uint64_t> rr_{0};
  std::atomic<int64_t> attempts_{0}, retries_{0};

  std::mutex mu_;  // guards everything below
  std::condition_variable slot_cv_;
  int free_slots_ = 0;
  std::vector<Handle*> idle_handles_;
  std::vector<std::unique_ptr<Handle>> all_handles_;
  std::vector<std::chrono::steady_clock::time_point> down_until_;
  std::mt19937_64 rng_;
};

}  // namespace lw::net
