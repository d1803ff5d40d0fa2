#include "serve/http_server.hpp"

#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <random>

#include "net/errors.hpp"
#include "serve/completion_stream.hpp"
#include "serve/connection_gate.hpp"
#include "serve/metrics.hpp"
#include "serve/ollama_routes.hpp"
#include "serve/ui_page.hpp"
#include "serve/write_routes.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

using Json = nlohmann::json;

namespace {

// httplib's server with the connection handling replaced: an accepted socket goes to the
// connection gate (which reads the whole request without holding a thread), and a complete
// request is served from its buffer by process_request on a worker.
class GatedServer : public httplib::Server {
 public:
  std::function<void(socket_t)> on_accept;
  bool serve_buffered(httplib::Stream& strm) {
    bool closed = false;
    return process_request(strm, /*close_connection=*/true, closed, nullptr);
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    on_accept(sock);
    return true;
  }
};

// Runs each task at once on the accepting thread: the only task httplib queues is handing an
// accepted socket to process_and_close_socket, which returns immediately.
class InlineQueue : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// A request already read by the gate, then the socket for the response.
class BufferedStream : public httplib::Stream {
 public:
  BufferedStream(int fd, std::string request, int write_timeout_s)
      : fd_(fd), in_(std::move(request)), write_timeout_ms_(write_timeout_s * 1000) {}
  bool is_readable() const override { return pos_ < in_.size(); }
  bool is_writable() const override {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, write_timeout_ms_) <= 0 || (p.revents & (POLLERR | POLLHUP))) return false;
    // Still connected? A readable socket that reads as end-of-stream means the client left.
    pollfd r{fd_, POLLIN, 0};
    if (::poll(&r, 1, 0) <= 0) return true;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    size_t off = 0;
    while (off < size) {
      ssize_t n = ::send(fd_, ptr + off, size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, write_timeout_ms_) > 0) continue;
      }
      return -1;
    }
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  void address(bool peer, std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof(a);
    int rc = peer ? ::getpeername(fd_, reinterpret_cast<sockaddr*>(&a), &len)
                  : ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    if (rc != 0) return;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<sockaddr*>(&a), len, host, sizeof(host), serv, sizeof(serv),
                      NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(serv);
    }
  }

  int fd_;
  std::string in_;
  size_t pos_ = 0;
  int write_timeout_ms_;
};

}  // namespace

struct HttpServer::Impl {
  GatedServer server;
  ServerMetrics metrics;
  std::unique_ptr<ConnectionGate> gate;
  std::atomic<int> listen_fd{-1};
};

namespace {

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const Json& j) {
  res.status = status;
  res.set_content(dump(j), "application/json");
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Holds one of the server's pending places for as long as a request is being served.
class PendingSlot {
 public:
  PendingSlot(std::atomic<int>& pending, int capacity) : pending_(pending) {
    int n = pending_.fetch_add(1) + 1;
    ok_ = n <= capacity;
  }
  ~PendingSlot() { pending_.fetch_sub(1); }
  PendingSlot(const PendingSlot&) = delete;
  PendingSlot& operator=(const PendingSlot&) = delete;
  bool ok() const { return ok_; }

 private:
  std::atomic<int>& pending_;
  bool ok_ = false;
};

// The status, error type and code a backend failure is reported with.
struct Failure {
  int status;
  std::string type, code, message;
};

Failure classify(const std::exception& e) {
  if (auto* c = dynamic_cast<const net::ContextLengthError*>(&e))
    return {400, "invalid_request_error", "context_length_exceeded", c->what()};
  if (auto* h = dynamic_cast<const net::HttpStatusError*>(&e))
    return {h->status() >= 400 && h->status() < 600 ? h->status() : 502, "upstream_error", "", h->what()};
  if (dynamic_cast<const InputError*>(&e)) return {400, "invalid_request_error", "", e.what()};
  return {500, "server_error", "", e.what()};
}

struct ClientGone {};

}  // namespace

HttpServer::HttpServer(net::ChatBackend& backend, ServerOptions options)
    : backend_(backend), opts_(std::move(options)), impl_(std::make_unique<Impl>()) {
  capacity_ = opts_.max_pending > 0 ? opts_.max_pending : backend_.suggested_concurrency() + 32;
  if (opts_.model_name.empty()) opts_.model_name = "local";
  opts_.access.hosts.bind_host = opts_.host;
  auto& srv = impl_->server;
  // Enough workers that every admitted request has one, plus a few to answer /health and 503s.
  const size_t workers = static_cast<size_t>(capacity_) + 8;
  GateOptions gate;
  gate.limits.max_body_bytes = opts_.max_body_bytes;
  gate.limits.max_head_bytes = opts_.max_head_bytes;
  gate.header_timeout = std::chrono::milliseconds(opts_.header_timeout_ms);
  gate.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(opts_.read_timeout_s) * 1000);
  gate.max_reading = opts_.max_reading;
  impl_->gate = std::make_unique<ConnectionGate>(gate, workers, [this](int fd, std::string request) {
    BufferedStream strm(fd, std::move(request), opts_.write_timeout_s);
    impl_->server.serve_buffered(strm);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  });
  srv.on_accept = [gate = impl_->gate.get()](socket_t sock) { gate->add(sock); };
  srv.new_task_queue = [] { return new InlineQueue; };
  srv.set_payload_max_length(opts_.max_body_bytes);
  srv.set_read_timeout(opts_.read_timeout_s, 0);
  srv.set_write_timeout(opts_.write_timeout_s, 0);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second server
  // silently share a port that is already in use. The fd is kept to raise the listen backlog.
  srv.set_socket_options([impl = impl_.get()](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    impl->listen_fd = sock;
  });
  install_routes();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::install_routes() {
  auto& srv = impl_->server;
  const int64_t started = unix_now();

  srv.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = {{"status", "ok"}, {"active", pending_.load()}, {"capacity", capacity_}};
    if (auto kv = backend_.kv_cache_info()) j["kv_cache"] = kv_cache_json(*kv);
    if (auto c = backend_.cache_stats()) j["prefix_cache"] = cache_stats_json(*c);
    if (auto l = backend_.engine_load(); l && l->speculative) j["speculative"] = speculative_json(*l);
    send_json(res, 200, j);
  });
  srv.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  srv.Get("/v1/models", [this, started](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, models_json(opts_.model_name, started));
  });

  install_ollama_routes(srv, {&backend_, opts_.model_name, opts_.card, opts_.limits,
                              [this]() -> std::shared_ptr<void> {
                                auto slot = std::make_shared<PendingSlot>(pending_, capacity_);
                                if (slot->ok()) return slot;
                                rejected_.fetch_add(1);
                                return nullptr;
                              },
                              [this](const net::ChatResponse& r) {
                                served_.fetch_add(1);
                                impl_->metrics.count_completion(r);
                              }});

  if (opts_.write_jobs) install_write_routes(srv, *opts_.write_jobs, opts_.limits);
  if (opts_.ui) install_ui_page(srv);

  // Chat (plain = false) and plain completions (plain = true) share everything but the JSON.
  auto completions = [this](const httplib::Request& req, httplib::Response& res, bool plain) {
    auto slot = std::make_shared<PendingSlot>(pending_, capacity_);
    if (!slot->ok()) {
      rejected_.fetch_add(1);
      res.set_header("Retry-After", "1");
      send_json(res, 503,
                error_json(fmt::format("server busy: {} requests already queued or running", capacity_),
                           "server_busy", "queue_full"));
      return;
    }
    ParsedRequest p;
    try {
      p = plain ? parse_completion_request(req.body, opts_.limits) : parse_chat_request(req.body, opts_.limits);
    } catch (const BadRequest& e) {
      send_json(res, 400, error_json(e.what(), "invalid_request_error"));
      return;
    }
    // n choices are decoded together: at most 4 rounds of the backend's parallel sequences.
    if (const int max_n = 4 * std::max(1, backend_.suggested_concurrency()); p.n > max_n) {
      send_json(
          res, 400,
          error_json(fmt::format("field \"n\": at most {} choices per request (4 x the server's {} parallel "
                                 "sequences), got {}",
                                 max_n, backend_.suggested_concurrency(), p.n),
                     "invalid_request_error"));
      return;
    }
    const std::string id = fmt::format("{}-{:x}{:06x}", plain ? "cmpl" : "chatcmpl", next_id_.fetch_add(1), std::random_device{}() & 0xffffff);
    const int64_t created = unix_now();
    const std::string model = opts_.model_name;

    if (!p.stream) {
      try {
        const std::vector<net::ChatResponse> rs = backend_.complete_n(p.chat, p.n);
        const net::ChatResponse r = merged_reply(rs);
        served_.fetch_add(1);
        impl_->metrics.count_completion(r);
        log::info("{}: {} prompt ({} cached) + {} completion tokens, {:.2f} s, finish {}{}", id,
                  r.usage.prompt_tokens, r.usage.cached_tokens, r.usage.completion_tokens, r.seconds,
                  r.finish_reason, draft_log(r));
        send_json(res, 200, choices_json(rs, plain, id, model, created));
      } catch (const std::exception& e) {
        Failure f = classify(e);
        log::warn("{}: {} {}", id, f.status, f.message);
        send_json(res, f.status, error_json(f.message, f.type, f.code));
      }
      return;
    }

    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, p = std::move(p), id, created, model, slot, plain](size_t, httplib::DataSink& sink) {
          auto write = [&](const std::string& s) {
            if (!sink.write(s.data(), s.size())) throw ClientGone{};
          };
          try {
            try {
              const net::ChatResponse r =
                  merged_reply(stream_choices(backend_, p, plain, id, model, created, write));
              impl_->metrics.count_completion(r);
              if (p.include_usage) write(sse_event(usage_chunk_json(id, model, created, r.usage)));
              served_.fetch_add(1);
              log::info("{}: {} prompt ({} cached) + {} completion tokens, {:.2f} s, finish {}{} (stream)",
                        id, r.usage.prompt_tokens, r.usage.cached_tokens, r.usage.completion_tokens,
                        r.seconds, r.finish_reason, draft_log(r));
            } catch (const ClientGone&) {
              throw;
            } catch (const std::exception& e) {
              Failure f = classify(e);
              log::warn("{}: {} {} (stream)", id, f.status, f.message);
              write(sse_event(error_json(f.message, f.type, f.code)));
            }
            write("data: [DONE]\n\n");
          } catch (const ClientGone&) {
            log::info("{}: client went away; generation cancelled", id);
            return false;
          }
          sink.done();
          return true;
        },
        [slot](bool) {});
  };
  srv.Post("/v1/chat/completions", [completions](const httplib::Request& req, httplib::Response& res) {
    completions(req, res, false);
  });
  srv.Post("/v1/completions", [completions](const httplib::Request& req, httplib::Response& res) {
    completions(req, res, true);
  });

  // Host, preflight, key and Content-Type checks before any route (serve/request_guard.hpp).
  srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::string host = req.get_header_value("Host"), origin = req.get_header_value("Origin"),
                      auth = req.get_header_value("Authorization"),
                      type = req.get_header_value("Content-Type");
    GuardResult g = guard_request({req.method, req.path, host, origin, auth, type}, opts_.access);
    if (g.status == 0) return httplib::Server::HandlerResponse::Unhandled;
    res.status = g.status;
    for (auto& [k, v] : g.headers) res.set_header(k, v);
    if (!g.body.is_null()) res.set_content(dump(req.path.starts_with("/api/") ? ollama_error_body(g.body) : g.body),
                                           "application/json");
    if (g.status == 403) log::warn("refused a {} request: its Host header names another server", req.method);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Every answer (routed, refused or an error) is counted, and carries the CORS header for an
  // allowed Origin; this runs before the status line is written, so a client that has its reply
  // also sees it counted.
  srv.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    impl_->metrics.count_request(req.path, res.status);
    if (!opts_.access.cors.enabled() || req.method == "OPTIONS") return;
    res.set_header("Vary", "Origin");  // the reply depends on it: no cache may give one origin's to another
    const std::string allow = opts_.access.cors.allow_origin(req.get_header_value("Origin"));
    if (!allow.empty()) res.set_header("Access-Control-Allow-Origin", allow);
  });

  srv.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg = res.status == 404   ? fmt::format("no route for {} {}", req.method, req.path)
                      : res.status == 413 ? std::string("request body too large")
                                          : fmt::format("HTTP {}", res.status);
    res.set_content(dump(req.path.starts_with("/api/") ? ollama_error_json(msg) : error_json(msg, "invalid_request_error")),
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
}

int HttpServer::bind() {
  auto& srv = impl_->server;
  if (opts_.port == 0) {
    port_ = srv.bind_to_any_port(opts_.host);
    if (port_ <= 0) fail("cannot listen on {}: no free port", opts_.host);
  } else {
    if (!srv.bind_to_port(opts_.host, opts_.port))
      fail("cannot listen on {}:{} (address in use, or not an address of this machine)", opts_.host, opts_.port);
    port_ = opts_.port;
  }
  // httplib listens with a backlog of 5; a burst of clients connecting at once would overflow it
  // and see resets. Calling listen() again on the bound socket raises the backlog.
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, SOMAXCONN);
  return port_;
}

void HttpServer::run() {
  LW_CHECK(port_ > 0, "run() before bind()");
  impl_->server.listen_after_bind();
}

void HttpServer::start() {
  bind();
  thread_ = std::thread([this] { run(); });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!impl_->server.is_running()) {
    if (std::chrono::steady_clock::now() > until) fail("the HTTP server on port {} did not start", port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void HttpServer::stop() {
  if (impl_) impl_->server.stop();
  if (thread_.joinable()) thread_.join();
  if (impl_ && impl_->gate) impl_->gate->stop();
}

std::string HttpServer::metrics_text() const {
  return impl_->metrics.render(backend_.engine_load(), backend_.cache_stats());
}

size_t HttpServer::reading_connections() const { return impl_->gate->reading(); }

}  // namespace lw::serve
