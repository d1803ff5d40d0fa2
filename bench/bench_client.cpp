// bench_client: what the OpenAI-compatible client adds to a request.
//
// 1,000 chat requests with 64 in flight against an instant-reply HTTP server on 127.0.0.1 (an
// epoll loop that answers every POST with a canned completion, or a canned SSE stream when the
// body asks for "stream":true). Measured twice in the same run:
//   baseline  64 threads, each with a raw keep-alive socket sending pre-built request bytes and
//             reading the reply by Content-Length (no JSON, no libcurl): the floor set by the
//             server, the kernel and the machine;
//   client    64 threads calling lw::net::OpenAIClient::complete (concurrency 64): building the
//             JSON body, libcurl, parsing the reply (or the SSE stream).
// Counters: requests/s and p50/p99 latency of both, the latency the client adds (client − baseline)
// and the throughput ratio client/baseline; and process CPU time per request of both (the server's
// share is the same in both runs, so the difference is the client's own cost; steadier than
// latency on a busy machine).
//
//   ./build/bench/bench_client --benchmark_counters_tabular=true
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "net/openai_client.hpp"
#include "net/openai_json.hpp"
#include "util/log.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRequests = 1000;
constexpr int kInFlight = 64;

std::string http_response(const std::string& content_type, const std::string& body) {
  return fmt::format("HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{}",
                     content_type, body.size(), body);
}

const std::string kJsonReply = http_response(
    "application/json",
    R"({"id":"b","object":"chat.completion","model":"bench","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"An instant reply of a few words."},"finish_reason":"stop"}],)"
    R"("usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}})");

std::string sse_body() {
  std::string out;
  for (const char* piece : {"An ", "instant ", "reply ", "of ", "a ", "few ", "words."})
    out += fmt::format("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}},\"finish_reason\":null}}]}}\n\n",
                       piece);
  out += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
         "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":8,\"total_tokens\":20}}\n\n";
  out += "data: [DONE]\n\n";
  return out;
}
const std::string kSseReply = http_response("text/event-stream", sse_body());

// Content-Length of an HTTP head (case-insensitive), -1 if absent.
long content_length(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t p = lower.find("\r\ncontent-length:");
  if (p == std::string::npos) return -1;
  return std::strtol(lower.c_str() + p + 17, nullptr, 10);
}

// Instant-reply server: one epoll thread, keep-alive connections, canned replies.
class InstantServer {
 public:
  InstantServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 1024) != 0)
      throw std::runtime_error("bench server: bind/listen failed");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ep_ = ::epoll_create1(0);
    stop_fd_ = ::eventfd(0, EFD_NONBLOCK);
    add(listen_fd_);
    add(stop_fd_);
    thread_ = std::thread([this] { loop(); });
  }
  ~InstantServer() {
    uint64_t one = 1;
    if (::write(stop_fd_, &one, sizeof one) < 0) std::perror("eventfd");
    thread_.join();
    for (auto& [fd, buf] : conns_) ::close(fd);
    ::close(listen_fd_);
    ::close(stop_fd_);
    ::close(ep_);
  }
  int port() const { return port_; }

 private:
  void add(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }
  void loop() {
    epoll_event evs[128];
    char buf[65536];
    for (;;) {
      int n = ::epoll_wait(ep_, evs, 128, -1);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          for (int c; (c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
            int one = 1;
            ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            conns_[c];
            add(c);
          }
          continue;
        }
        std::string& in = conns_[fd];
        ssize_t r;
        while ((r = ::read(fd, buf, sizeof buf)) > 0) in.append(buf, static_cast<size_t>(r));
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          ::close(fd);
          conns_.erase(fd);
          continue;
        }
        answer(fd, in);
      }
    }
  }
  // Answers every complete request in the buffer.
  static void answer(int fd, std::string& in) {
    for (;;) {
      size_t head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      long body = std::max(0L, content_length(std::string_view(in).substr(0, head_end + 2)));
      size_t total = head_end + 4 + static_cast<size_t>(body);
      if (in.size() < total) return;
      bool stream = in.find("\"stream\":true", head_end) < total;
      const std::string& reply = stream ? kSseReply : kJsonReply;
      for (size_t off = 0; off < reply.size();) {  // tiny replies: the socket buffer takes them whole
        ssize_t w = ::write(fd, reply.data() + off, reply.size() - off);
        if (w > 0) off += static_cast<size_t>(w);
        else if (errno != EAGAIN) return;
      }
      in.erase(0, total);
    }
  }

  int listen_fd_ = -1, ep_ = -1, stop_fd_ = -1, port_ = 0;
  std::map<int, std::string> conns_;
  std::thread thread_;
};

lw::net::ChatRequest bench_request(int i) {
  lw::net::ChatRequest r;
  r.model = "bench";
  r.messages = {{"system", "You are a helpful assistant."},
                {"user", fmt::format("Request {}: write one sentence about Roman roads.", i)}};
  r.temperature = 0.7;
  r.max_tokens = 64;
  return r;
}

double process_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct RunStats {
  double seconds = 0;
  double cpu_s = 0;  // CPU time of the whole process (server included) during the run
  std::vector<double> latencies_us;
  double rps() const { return static_cast<double>(latencies_us.size()) / seconds; }
  double pct(double p) {
    std::sort(latencies_us.begin(), latencies_us.end());
    size_t i = std::min(latencies_us.size() - 1, static_cast<size_t>(p * static_cast<double>(latencies_us.size())));
    return latencies_us[i];
  }
};

// Runs `requests` calls of one_request(i) from kInFlight threads; one_request returns false on failure.
template <typename Fn>
RunStats run_parallel(int requests, Fn make_worker) {
  RunStats s;
  s.latencies_us.assign(static_cast<size_t>(requests), 0.0);
  std::atomic<int> next{0};
  auto t0 = Clock::now();
  double cpu0 = process_cpu_s();
  std::vector<std::thread> threads;
  for (int t = 0; t < kInFlight; ++t) {
    threads.emplace_back([&] {
      auto one_request = make_worker();
      for (int i; (i = next.fetch_add(1)) < requests;) {
        auto a = Clock::now();
        if (!one_request(i)) throw std::runtime_error("bench request failed");
        s.latencies_us[static_cast<size_t>(i)] = std::chrono::duration<double, std::micro>(Clock::now() - a).count();
      }
    });
  }
  for (auto& th : threads) th.join();
  s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  s.cpu_s = process_cpu_s() - cpu0;
  return s;
}

// Baseline worker: a raw keep-alive socket and pre-built request bytes.
auto raw_worker(int port, bool stream) {
  return [port, stream] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    auto body = lw::net::build_request_body(bench_request(0), "", stream, stream).dump();
    std::string req = fmt::format(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n"
        "Accept: application/json\r\nContent-Length: {}\r\n\r\n{}",
        port, body.size(), body);
    auto fd_holder = std::shared_ptr<int>(new int(fd), [](int* p) { ::close(*p); delete p; });
    return [fd_holder, req, in = std::string()](int) mutable {
      int s = *fd_holder;
      if (::send(s, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) return false;
      char buf[16384];
      for (;;) {
        size_t head_end = in.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          size_t total = head_end + 4 + static_cast<size_t>(content_length(std::string_view(in).substr(0, head_end + 2)));
          if (in.size() >= total) {
            in.erase(0, total);
            return true;
          }
        }
        ssize_t r = ::recv(s, buf, sizeof buf, 0);
        if (r <= 0) return false;
        in.append(buf, static_cast<size_t>(r));
      }
    };
  };
}

void BM_Client1000x64(benchmark::State& state) {
  const bool stream = state.range(0) != 0;
  lw::log::set_level(lw::log::Level::warn);
  InstantServer server;
  lw::net::ClientOptions o;
  o.base_urls = {fmt::format("http://127.0.0.1:{}/v1", server.port())};
  o.concurrency = kInFlight;
  lw::net::OpenAIClient client(o);
  auto client_worker = [&] {
    return [&](int i) {
      auto r = stream ? client.complete(bench_request(i), [](std::string_view) {}) : client.complete(bench_request(i));
      return r.finish_reason == "stop" && !r.content.empty();
    };
  };
  // Warm up: connections opened, handles pooled.
  run_parallel(kInFlight * 2, raw_worker(server.port(), stream));
  run_parallel(kInFlight * 2, client_worker);

  RunStats base, cli;
  for (auto _ : state) {
    base = run_parallel(kRequests, raw_worker(server.port(), stream));
    cli = run_parallel(kRequests, client_worker);
    state.SetIterationTime(cli.seconds);
  }
  double b50 = base.pct(0.50), b99 = base.pct(0.99), c50 = cli.pct(0.50), c99 = cli.pct(0.99);
  state.counters["base_rps"] = base.rps();
  state.counters["client_rps"] = cli.rps();
  state.counters["rps_ratio"] = cli.rps() / base.rps();
  state.counters["base_p50_us"] = b50;
  state.counters["client_p50_us"] = c50;
  state.counters["added_p50_us"] = c50 - b50;
  state.counters["base_p99_us"] = b99;
  state.counters["client_p99_us"] = c99;
  state.counters["added_p99_us"] = c99 - b99;
  // CPU per request is steadier than latency on a loaded machine: the server's share is the same
  // in both runs, so the difference is what the client costs over raw sockets.
  state.counters["base_cpu_us_req"] = base.cpu_s * 1e6 / kRequests;
  state.counters["client_cpu_us_req"] = cli.cpu_s * 1e6 / kRequests;
  state.counters["added_cpu_us_req"] = (cli.cpu_s - base.cpu_s) * 1e6 / kRequests;
  state.SetLabel(stream ? "streaming (SSE)" : "non-streaming");
}
BENCHMARK(BM_Client1000x64)->Arg(0)->Arg(1)->ArgName("stream")->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
