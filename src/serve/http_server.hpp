#pragma once
// An OpenAI-compatible HTTP server (cpp-httplib) in front of any net::ChatBackend, normally the
// in-process engine (serve/local_backend.hpp), which batches concurrent requests together.
//
//   POST /v1/chat/completions   stream (Server-Sent Events) and non-stream
//   POST /v1/completions        the legacy plain-prompt API (text_completion objects), both ways
//   GET  /v1/models             the one model served
//   GET  /health                {"status":"ok", "active":N, "capacity":M, "prefix_cache":{...}}
//                               (prefix_cache: the backend's reuse counts and hit rates, when it
//                               has a prefix cache; see serve/openai_api.hpp cache_stats_json)
//   GET  /metrics               Prometheus text (serve/metrics.hpp)
//   /api/chat, /api/generate, /api/tags, /api/show   Ollama's API (serve/ollama_routes.hpp)
//   /v1/write...                AgentWrite jobs, when write_jobs is set (serve/write_routes.hpp)
//   GET  /                      the writing desk page, when ui is set (serve/ui/desk.html)
//
// Access (serve/request_guard.hpp): Host check (403), CORS preflights, API keys (401; /health is
// always open, /metrics with metrics_public), JSON-only POST bodies (415); CORS headers only for
// the origins in access.cors.
//
// Limits: at most `max_pending` requests are inside the server at once (running or waiting for the
// backend); one more is answered 503 with Retry-After at once. Bodies over max_body_bytes get 413;
// bodies nested deeper than limits.max_json_depth get 400. Requests are read by the connection
// gate (serve/connection_gate.hpp) without holding a worker: a head must arrive within
// header_timeout_ms and the whole request within read_timeout_s (else 408), at most max_reading
// connections read at once (the oldest is shed), a bad Content-Length gets 400/411/413. One
// request per connection (replies carry Connection: close). Binds 127.0.0.1 unless told otherwise.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "net/chat.hpp"
#include "serve/ollama_api.hpp"
#include "serve/openai_api.hpp"
#include "serve/request_guard.hpp"
#include "serve/write_jobs.hpp"

namespace lw::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                // 0: any free port (tests)
  std::string model_name;         // shown in /v1/models and every reply
  int max_pending = 0;            // requests in the server at once; 0: backend concurrency + 32
  size_t max_body_bytes = 8u << 20;
  ApiLimits limits;
  int read_timeout_s = 30;        // deadline for a whole request (head and body) to arrive
  int header_timeout_ms = 10000;  // deadline for the request head
  size_t max_head_bytes = 16 << 10;
  size_t max_reading = 256;       // connections sending a request at once; more shed the oldest
  int write_timeout_s = 60;       // a client that stops reading a stream this long is dropped
  AccessPolicy access;            // hosts (bind_host is set from `host`), keys, CORS, /metrics
  ModelCard card;                 // what /api/tags and /api/show report (serve/model_card.hpp)
  WriteJobs* write_jobs = nullptr;  // the /v1/write routes' jobs (none: no such routes)
  bool ui = false;                // serve the writing desk page at /
};

class HttpServer {
 public:
  HttpServer(net::ChatBackend& backend, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (throws lw::Error when it cannot) and returns the port bound.
  int bind();
  // Serves until stop(); bind() first.
  void run();
  // bind() + run() on a background thread; returns once the server accepts connections.
  void start();
  void stop();

  int port() const { return port_; }
  int capacity() const { return capacity_; }
  int64_t served() const { return served_.load(); }
  int64_t rejected() const { return rejected_.load(); }
  size_t reading_connections() const;  // connections whose request is still arriving
  // The /metrics text as it would be served now.
  std::string metrics_text() const;

 private:
  struct Impl;
  void install_routes();

  net::ChatBackend& backend_;
  ServerOptions opts_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  int capacity_ = 0;
  std::atomic<int> pending_{0};
  std::atomic<int64_t> served_{0}, rejected_{0}, next_id_{0};
  std::thread thread_;
};

}  // namespace lw::serve
