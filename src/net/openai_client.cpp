#include "net/openai_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "net/errors.hpp"
#include "net/openai_json.hpp"
#include "net/retry.hpp"
#include "net/sse.hpp"
#include "util/log.hpp"

namespace lw::net {
namespace {

using Clock = std::chrono::steady_clock;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string endpoint_of(const std::string& base) {
  static const std::string suffix = "/chat/completions";
  if (base.size() >= suffix.size() && base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0)
    return base;
  return base + suffix;
}

// Loopback never goes through a proxy (tests and local servers), whatever $no_proxy says.
std::string no_proxy_list() {
  std::string list = "127.0.0.1,localhost,::1";
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    if (const char* v = std::getenv(name); v && *v) list += std::string(",") + v;
  }
  return list;
}

bool is_connect_failure(CURLcode code, bool connected) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
         code == CURLE_COULDNT_RESOLVE_PROXY || (code == CURLE_OPERATION_TIMEDOUT && !connected);
}

bool is_transient_transfer_error(CURLcode code) {
  return code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING ||
         code == CURLE_PARTIAL_FILE || code == CURLE_SSL_CONNECT_ERROR || code == CURLE_HTTP2 ||
         code == CURLE_HTTP2_STREAM;
}

// Why an attempt failed, and whether trying again can help.
struct Failure {
  enum Kind { connect, timeout, status, protocol, other } kind = other;
  bool retryable = false;
  std::string message;         // without the URL
  int http_status = 0;
  std::string server_message;
  std::optional<double> retry_after_s;
};

}  // namespace

namespace detail {

struct CurlHandle {
  CURL* easy = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};
  CurlHandle() : easy(curl_easy_init()) {
    if (!easy) throw Error("libcurl: curl_easy_init failed");
  }
  ~CurlHandle() { curl_easy_cleanup(easy); }
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
};

// What one HTTP exchange produced.
struct Attempt {
  CURLcode code = CURLE_OK;
  long status = 0;
  bool connected = false;
  std::string body;  // reply body (non-streaming) or error body
  std::string retry_after;
  bool too_large = false;
  std::exception_ptr callback_error;  // thrown by the caller's on_delta
  std::exception_ptr parse_error;     // ProtocolError from the stream
  bool done = false;                  // saw data: [DONE]
  bool delivered = false;             // text was passed to on_delta
  bool sse_reply = false;             // streaming: the 200 reply is an event stream ...
  bool json_reply = false;            // ... or one JSON completion (server ignored "stream")
  std::string stream_error;           // {"error": ...} inside the stream
  ChatResponse resp;                  // the stream, accumulated
  std::string curl_message;
};

}  // namespace detail

using detail::Attempt;

// Waits for one of the `concurrency` slots; gives it back on destruction.
class OpenAIClient::Slot {
 public:
  explicit Slot(OpenAIClient& c) : c_(c) {
    std::unique_lock lk(c_.mu_);
    c_.slot_cv_.wait(lk, [&] { return c_.free_slots_ > 0; });
    --c_.free_slots_;
  }
  ~Slot() {
    {
      std::lock_guard lk(c_.mu_);
      ++c_.free_slots_;
    }
    c_.slot_cv_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  OpenAIClient& c_;
};

namespace {

struct TransferCtx {
  CURL* easy;
  bool stream;
  size_t max_bytes;
  const DeltaCallback* on_delta;
  Attempt* attempt;
  SseParser* parser;
};

}  // namespace

OpenAIClient::OpenAIClient(ClientOptions options) : opts_(std::move(options)), rng_(std::random_device{}()) {
  global_init();
  if (opts_.base_urls.empty()) fail_input("--base-url: no URL given (expected e.g. http://127.0.0.1:8000/v1)");
  if (opts_.concurrency < 1) fail_input("--concurrency: expected at least 1, got {}", opts_.concurrency);
  if (opts_.max_retries < 0) fail_input("--retries: expected 0 or more, got {}", opts_.max_retries);
  if (!(opts_.timeout_s > 0)) fail_input("--timeout: expected seconds > 0, got {}", opts_.timeout_s);
  if (!(opts_.connect_timeout_s > 0))
    fail_input("--connect-timeout: expected seconds > 0, got {}", opts_.connect_timeout_s);
  log::add_secret(opts_.api_key);
  free_slots_ = opts_.concurrency;
  down_until_.assign(opts_.base_urls.size(), Clock::time_point{});
}

OpenAIClient::~OpenAIClient() = default;

std::string OpenAIClient::describe() const {
  std::string urls;
  for (const auto& u : opts_.base_urls) {
    if (!urls.empty()) urls.push_back(',');
    urls.append(display_url(u));
  }
  return fmt::format("openai-compatible {}{}", urls,
                     opts_.default_model.empty() ? "" : " model " + opts_.default_model);
}

std::string OpenAIClient::redact(std::string text) const {
  return log::redact(log::redact_secret(std::move(text), opts_.api_key));
}

OpenAIClient::Handle* OpenAIClient::acquire_handle() {
  std::lock_guard lk(mu_);
  if (!idle_handles_.empty()) {
    Handle* h = idle_handles_.back();
    idle_handles_.pop_back();
    return h;
  }
  all_handles_.push_back(std::make_unique<Handle>());
  return all_handles_.back().get();
}

void OpenAIClient::release_handle(Handle* h) {
  std::lock_guard lk(mu_);
  idle_handles_.push_back(h);
}

size_t OpenAIClient::pick_url() {
  size_t n = opts_.base_urls.size();
  size_t start = static_cast<size_t>(rr_.fetch_add(1) % n);
  std::lock_guard lk(mu_);
  auto now = Clock::now();
  for (size_t k = 0; k < n; ++k) {
    size_t i = (start + k) % n;
    if (down_until_[i] <= now) return i;
  }
  return start;  // all cooling down: try anyway
}

void OpenAIClient::mark_down(size_t idx) {
  std::lock_guard lk(mu_);
  down_until_[idx] = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(opts_.failover_cooldown_s));
}

namespace {

size_t on_header(char* data, size_t size, size_t n, void* ud) {
  auto* retry_after = static_cast<std::string*>(ud);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) retry_after->clear();  // a new response (after 100 Continue)
  static constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    bool match = true;
    for (size_t i = 0; i < name.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (match) *retry_after = std::string(line.substr(name.size()));
  }
  return size * n;
}

}  // namespace

void OpenAIClient::perform(Handle& h, const std::string& url, const std::string& body, bool stream,
                           Attempt& a, const DeltaCallback& on_delta) {
  CURL* e = h.easy;
  curl_easy_reset(e);
  h.errbuf[0] = 0;
  std::string endpoint = endpoint_of(url);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, stream ? "Accept: text/event-stream" : "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for large prompts
  std::string auth;
  if (!opts_.api_key.empty()) {
    auth = "Authorization: Bearer " + opts_.api_key;
    headers = curl_slist_append(headers, auth.c_str());
  }
  static const std::string no_proxy = no_proxy_list();

  SseParser parser([&](const std::string& data) {
    if (data == "[DONE]") {
      a.done = true;
      return false;
    }
    StreamChunk ch = parse_stream_chunk(data);
    if (ch.is_error) {
      a.stream_error = ch.error_message;
      return false;
    }
    if (!ch.model.empty()) a.resp.model = ch.model;
    if (!ch.finish_reason.empty()) a.resp.finish_reason = ch.finish_reason;
    if (ch.has_usage) a.resp.usage = ch.usage;
    if (!ch.delta.empty()) {
      a.resp.content += ch.delta;
      if (a.resp.content.size() > opts_.max_response_bytes) {
        a.too_large = true;
        return false;
      }
      a.delivered = true;
      try {
        on_delta(ch.delta);
      } catch (...) {
        a.callback_error = std::current_exception();
        return false;
      }
    }
    return true;
  });
  TransferCtx ctx{e, stream, opts_.max_response_bytes, &on_delta, &a, &parser};

  auto write_cb = +[](char* data, size_t size, size_t n, void* ud) -> size_t {
    auto* c = static_cast<TransferCtx*>(ud);
    auto& at = *c->attempt;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (c->stream && code == 200 && !at.json_reply) {
      if (!at.sse_reply) {  // a server that ignored "stream": true answers with one JSON object
        std::string_view v(data, len);
        size_t first = v.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos) return len;
        (v[first] == '{' ? at.json_reply : at.sse_reply) = true;
        if (at.json_reply) {
          at.body.append(v.substr(first));
          return len;
        }
      }
      if (c->parser->stopped()) return (at.done || !at.stream_error.empty()) ? len : 0;
      try {
        c->parser->feed(std::string_view(data, len));
      } catch (...) {
        at.parse_error = std::current_exception();
        return 0;
      }
      if (at.callback_error || at.too_large) return 0;
      return len;
    }
    if (at.body.size() + len > c->max_bytes) {
      at.too_large = true;
      return 0;
    }
    at.body.append(data, len);
    return len;
  };

  curl_easy_setopt(e, CURLOPT_URL, endpoint.c_str());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts_.connect_timeout_s * 1000));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(opts_.timeout_s * 1000));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &a.retry_after);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h.errbuf);

  attempts_.fetch_add(1);
  a.code = curl_easy_perform(e);
  curl_slist_free_all(headers);
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a.status);
  curl_off_t connect_us = 0;
  curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect_us);
  a.connected = a.status > 0 || connect_us > 0;
  a.curl_message = h.errbuf[0] ? h.errbuf : curl_easy_strerror(a.code);
  if (a.code == CURLE_OK && stream && a.status == 200 && !a.json_reply && !parser.stopped()) {
    try {
      parser.finish();
    } catch (...) {
      a.parse_error = std::current_exception();
    }
  }
  if (a.callback_error) std::rethrow_exception(a.callback_error);
}


namespace {

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Sorts the outcome of one attempt: nullopt when it succeeded at the HTTP level.
std::optional<Failure> classify(const Attempt& a, bool stream, const ClientOptions& o) {
  Failure f;
  if (a.too_large) {
    f.kind = Failure::protocol;
    f.message = fmt::format("reply larger than {} bytes (a runaway generation?)", o.max_response_bytes);
    return f;
  }
  if (a.parse_error) {
    f.kind = Failure::protocol;
    try {
      std::rethrow_exception(a.parse_error);
    } catch (const std::exception& e) {
      f.message = e.what();
    }
    return f;
  }
  if (a.code != CURLE_OK) {
    f.retryable = true;
    if (a.code == CURLE_OPERATION_TIMEDOUT) {
      f.kind = a.connected ? Failure::timeout : Failure::connect;
      f.message = a.connected ? fmt::format("no complete reply within {} s (--timeout)", o.timeout_s)
                              : fmt::format("could not connect within {} s (--connect-timeout)", o.connect_timeout_s);
    } else if (is_connect_failure(a.code, a.connected)) {
      f.kind = Failure::connect;
      f.message = "could not connect: " + a.curl_message;
    } else {
      f.kind = Failure::other;
      f.retryable = is_transient_transfer_error(a.code);
      f.message = "request failed: " + a.curl_message;
    }
    return f;
  }
  if (a.status != 200) {
    f.kind = Failure::status;
    f.http_status = static_cast<int>(a.status);
    f.server_message = extract_error_message(a.body);
    f.retryable = is_retryable_status(f.http_status);
    if (!a.retry_after.empty()) f.retry_after_s = parse_retry_after(a.retry_after, unix_now());
    std::string quoted = fmt::format("HTTP {}: \"{}\"", f.http_status, f.server_message);
    if (f.http_status == 400 && (is_context_length_message(f.server_message) ||
                                 extract_error_code(a.body) == "context_length_exceeded")) {
      f.message = "the prompt plus max_tokens do not fit the model's context window: " + quoted;
    } else if (f.http_status == 401 || f.http_status == 403) {
      f.message = quoted + " (check the API key: $OPENAI_API_KEY or --api-key-file)";
    } else if (f.http_status == 404) {
      f.message = quoted + " (check --model and that --base-url ends in /v1)";
    } else {
      f.message = quoted;
    }
    return f;
  }
  if (!stream || a.json_reply) return std::nullopt;
  if (!a.stream_error.empty()) {
    f.kind = Failure::status;
    f.server_message = a.stream_error;
    bool ctx = is_context_length_message(a.stream_error);
    f.http_status = ctx ? 400 : 500;
    f.retryable = !ctx;
    f.message = (ctx ? "the prompt plus max_tokens do not fit the model's context window: " : "") +
                fmt::format("error inside the stream: \"{}\"", a.stream_error);
    return f;
  }
  if (!a.done && a.resp.finish_reason.empty()) {
    f.kind = Failure::protocol;
    f.retryable = true;
    f.message = "the stream ended before \"data: [DONE]\"";
    return f;
  }
  return std::nullopt;
}

[[noreturn]] void throw_failure(const Failure& f, const std::string& msg, const std::string& server_message) {
  switch (f.kind) {
    case Failure::connect: throw ConnectError(msg);
    case Failure::timeout: throw TimeoutError(msg);
    case Failure::protocol: throw ProtocolError(msg, f.retryable);
    case Failure::status:
      if (f.http_status == 401 || f.http_status == 403) throw AuthError(msg, f.http_status, server_message);
      if (contains(f.message, "context window")) throw ContextLengthError(msg, f.http_status, server_message);
      throw HttpStatusError(msg, f.http_status, server_message);
    default: throw NetError(msg, f.retryable);
  }
}

}  // namespace

ChatResponse OpenAIClient::complete(const ChatRequest& request, const DeltaCallback& on_delta) {
  const auto t0 = Clock::now();
  const bool stream = static_cast<bool>(on_delta);
  const std::string body = build_request_body(request, opts_.default_model, stream, opts_.stream_usage)
                               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const size_t n = opts_.base_urls.size();
  for (int attempt = 0;; ++attempt) {
    Attempt a;
    std::optional<Failure> failure;
    std::string url;
    {
      Slot slot(*this);
      Handle* h = acquire_handle();
      struct Release {
        OpenAIClient* c;
        Handle* h;
        ~Release() { c->release_handle(h); }
      } release{this, h};
      const size_t first = pick_url();
      for (size_t k = 0; k < n; ++k) {
        const size_t idx = (first + k) % n;
        url = opts_.base_urls[idx];
        a = Attempt{};
        log::debug("POST {} ({} messages, {} bytes{})", display_url(endpoint_of(url)), request.messages.size(),
                   body.size(), stream ? ", streaming" : "");
        perform(*h, url, body, stream, a, on_delta);
        failure = classify(a, stream, opts_);
        if (failure && failure->kind == Failure::connect && !a.delivered) {
          mark_down(idx);
          if (k + 1 < n) {
            log::warn("{}: {}; failing over to {}", display_url(url), redact(failure->message),
                      display_url(opts_.base_urls[(idx + 1) % n]));
            continue;
          }
          if (n > 1) failure->message = fmt::format("none of the {} base URLs answered; last: {}", n, failure->message);
        }
        break;
      }
    }
    const std::string where = display_url(url);
    if (!failure) {
      ChatResponse r;
      if (stream && !a.json_reply) {
        r = std::move(a.resp);
      } else {
        try {
          r = parse_completion(a.body);
        } catch (const ProtocolError& e) {
          throw ProtocolError(redact(where + ": " + e.what()));
        }
        if (stream && !r.content.empty()) on_delta(r.content);
      }
      r.seconds = seconds_since(t0);
      log::debug("{}: HTTP 200 in {:.3f} s, finish_reason {}, {} completion tokens", where, r.seconds,
                 r.finish_reason.empty() ? "?" : r.finish_reason, r.usage.completion_tokens);
      return r;
    }
    const bool can_retry = failure->retryable && !a.delivered && attempt < opts_.max_retries;
    if (!can_retry) {
      std::string msg = where + ": " + failure->message;
      if (a.delivered && failure->retryable)
        msg += fmt::format(" (after {} characters had been streamed, so not retried)", a.resp.content.size());
      else if (attempt > 0)
        msg += fmt::format(" (gave up after {} attempts)", attempt + 1);
      throw_failure(*failure, redact(msg), redact(failure->server_message));
    }
    double delay;
    if (failure->retry_after_s) {
      delay = std::min(*failure->retry_after_s, opts_.retry_after_cap_s);
    } else {
      std::lock_guard lk(mu_);
      delay = backoff_delay_s(attempt, opts_.backoff_base_s, opts_.backoff_cap_s, rng_);
    }
    retries_.fetch_add(1);
    log::info("{}: {}; retry {}/{} in {:.2f} s{}", where, redact(failure->message), attempt + 1, opts_.max_retries,
              delay, failure->retry_after_s ? " (Retry-After)" : "");
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }
}

}  // namespace lw::net
