#include "serve/connection_gate.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "serve/openai_api.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 64 << 10;
constexpr auto kDrainTime = std::chrono::milliseconds(2000);
constexpr size_t kMaxDrainBytes = 4u << 20;

void set_blocking(int fd, bool blocking) {
  int fl = ::fcntl(fd, F_GETFL, 0);
  if (fl >= 0) ::fcntl(fd, F_SETFL, blocking ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK));
}

struct Conn {
  int fd = -1;
  Clock::time_point accepted;
  std::string buf;
  RequestHead head;
  bool head_done = false;
  bool draining = false;  // answered; reading what the client still sends until it closes
  Clock::time_point drain_until;
  size_t drained = 0;
};

}  // namespace

struct ConnectionGate::Impl {
  GateOptions opts;
  Handler handler;
  httplib::ThreadPool pool;
  int wake[2] = {-1, -1};
  std::mutex mu;
  std::vector<int> incoming;
  std::list<Conn> conns;  // oldest first
  std::atomic<size_t> n_reading{0}, n_shed{0}, n_timed_out{0};
  std::atomic<bool> stopping{false};
  bool stopped = false;
  std::thread thread;

  Impl(GateOptions o, size_t workers, Handler h) : opts(o), handler(std::move(h)), pool(workers) {
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) fail("cannot create a pipe: {}", std::strerror(errno));
    thread = std::thread([this] { loop(); });
  }

  void close_conn(std::list<Conn>::iterator it) {
    ::close(it->fd);
    conns.erase(it);
  }

  // Answers with an error and keeps reading (and discarding) briefly, so the client sees the
  // answer instead of a reset caused by closing with its data unread.
  void answer(Conn& c, int status, const std::string& message) {
    const std::string body = error_json(message, "invalid_request_error").dump(-1, ' ', false,
                                                                                nlohmann::json::error_handler_t::replace);
    const std::string resp = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        status, status_reason(status), body.size(), body);
    [[maybe_unused]] ssize_t n = ::send(c.fd, resp.data(), resp.size(), MSG_NOSIGNAL);
    ::shutdown(c.fd, SHUT_WR);
    c.draining = true;
    c.drain_until = Clock::now() + kDrainTime;
    c.buf.clear();
    c.buf.shrink_to_fit();
  }

  // Reads what is available; false when the connection is finished with (closed or answered).
  void on_readable(std::list<Conn>::iterator it) {
    Conn& c = *it;
    char chunk[16 << 10];
    for (size_t got = 0; got < kReadChunk;) {
      ssize_t n = ::recv(c.fd, chunk, sizeof(chunk), 0);
      if (n > 0) {
        got += static_cast<size_t>(n);
        if (c.draining) {
          c.drained += static_cast<size_t>(n);
          if (c.drained > kMaxDrainBytes) return close_conn(it);
        } else {
          c.buf.append(chunk, static_cast<size_t>(n));
        }
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      // End of stream (or an error). A client may close its side once it has sent the whole
      // request: serve what arrived. A request cut short gets a reason while the client can read.
      if (!c.draining) {
        if (!advance(it)) return;  // complete: handed to a worker
        if (!c.draining && c.head_done)
          answer(c, 400, fmt::format("request body ended after {} of {} bytes", c.buf.size() - c.head.head_bytes,
                                     c.head.body_bytes));
        else if (!c.draining && !c.buf.empty())
          answer(c, 400, "the connection closed before the request head was complete");
      }
      return close_conn(it);
    }
    if (!c.draining) advance(it);
  }

  // Examines what has arrived; a complete request goes to a worker. False when the connection has
  // left the reading list (handed over), true while it stays (reading, or answered and draining).
  bool advance(std::list<Conn>::iterator it) {
    Conn& c = *it;
    if (!c.head_done) {
      RequestHead h = examine_request_head(c.buf, opts.limits);
      if (h.state == RequestHead::State::need_more) return true;
      if (h.state == RequestHead::State::reject) {
        log::info("serve: refused a request: {} {}", h.status, h.message);
        answer(c, h.status, h.message);
        return true;
      }
      c.head = h;
      c.head_done = true;
      if (h.expect_continue && c.buf.size() < h.head_bytes + h.body_bytes) {
        static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        [[maybe_unused]] ssize_t n = ::send(c.fd, kContinue, sizeof(kContinue) - 1, MSG_NOSIGNAL);
      }
    }
    const size_t total = c.head.head_bytes + static_cast<size_t>(c.head.body_bytes);
    if (c.buf.size() < total) return true;
    std::string request = std::move(c.buf);
    request.resize(total);  // bytes past the request (pipelining) are not served: one request per connection
    if (c.head.expect_continue) request.erase(c.head.expect_begin, c.head.expect_end - c.head.expect_begin);
    const int fd = c.fd;
    conns.erase(it);
    set_blocking(fd, true);
    pool.enqueue([this, fd, request = std::move(request)]() mutable { handler(fd, std::move(request)); });
    return false;
  }

  size_t count_reading() const {
    size_t n = 0;
    for (const auto& c : conns) n += c.draining ? 0 : 1;
    return n;
  }

  // Sheds the oldest reading connections beyond the limits on count and buffered bytes.
  void enforce_limits() {
    size_t reading = 0, draining = 0, buffered = 0;
    for (const auto& c : conns) {
      (c.draining ? draining : reading) += 1;
      buffered += c.buf.size();
    }
    for (auto it = conns.begin(); it != conns.end() && (reading > opts.max_reading || buffered > opts.max_buffered);) {
      auto cur = it++;
      if (cur->draining) continue;
      reading -= 1;
      buffered -= cur->buf.size();
      n_shed.fetch_add(1);
      log::debug("serve: {} connections reading a request; closing the oldest", opts.max_reading);
      answer(*cur, 503, "too many connections sending requests; this one was the oldest and was closed");
      draining += 1;
    }
    // Draining connections are bounded too: the oldest are closed outright.
    for (auto it = conns.begin(); it != conns.end() && draining > opts.max_reading;) {
      auto cur = it++;
      if (!cur->draining) continue;
      draining -= 1;
      close_conn(cur);
    }
  }

  void check_deadlines(Clock::time_point now) {
    for (auto it = conns.begin(); it != conns.end();) {
      auto cur = it++;
      if (cur->draining) {
        if (now >= cur->drain_until) close_conn(cur);
        continue;
      }
      const auto age = now - cur->accepted;
      if ((!cur->head_done && age >= opts.header_timeout) || age >= opts.request_timeout) {
        n_timed_out.fetch_add(1);
        answer(*cur, 408, cur->head_done ? "the request body was not received in time"
                                         : "the request head was not received in time");
      }
    }
  }

  int poll_timeout_ms(Clock::time_point now) const {
    auto next = now + std::chrono::milliseconds(1000);
    for (const auto& c : conns) {
      if (c.draining) next = std::min(next, c.drain_until);
      else next = std::min(next, c.accepted + (c.head_done ? opts.request_timeout : opts.header_timeout));
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1;
    return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000));
  }

  void loop() {
    std::vector<pollfd> fds;
    std::vector<std::list<Conn>::iterator> polled;
    while (!stopping.load()) {
      {
        std::lock_guard lk(mu);
        for (int fd : incoming) {
          set_blocking(fd, false);
          Conn c;
          c.fd = fd;
          c.accepted = Clock::now();
          conns.push_back(std::move(c));
        }
        incoming.clear();
      }
      enforce_limits();
      n_reading.store(count_reading());
      fds.assign(1, pollfd{wake[0], POLLIN, 0});
      polled.clear();
      for (auto it = conns.begin(); it != conns.end(); ++it) {
        fds.push_back(pollfd{it->fd, POLLIN, 0});
        polled.push_back(it);
      }
      int r = ::poll(fds.data(), fds.size(), poll_timeout_ms(Clock::now()));
      if (r < 0 && errno != EINTR) {
        log::error("serve: poll failed: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (fds[0].revents) {
        char drain[256];
        while (::read(wake[0], drain, sizeof(drain)) > 0) {
        }
      }
      for (size_t i = 1; r > 0 && i < fds.size(); ++i)
        if (fds[i].revents) on_readable(polled[i - 1]);
      check_deadlines(Clock::now());
    }
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    stopping.store(true);
    [[maybe_unused]] ssize_t n = ::write(wake[1], "x", 1);
    if (thread.joinable()) thread.join();
    for (auto& c : conns) ::close(c.fd);
    conns.clear();
    {
      std::lock_guard lk(mu);
      for (int fd : incoming) ::close(fd);
      incoming.clear();
    }
    pool.shutdown();
    ::close(wake[0]);
    ::close(wake[1]);
  }
};

ConnectionGate::ConnectionGate(GateOptions options, size_t workers, Handler handler)
    : impl_(std::make_unique<Impl>(options, workers, std::move(handler))) {}

ConnectionGate::~ConnectionGate() { stop(); }

void ConnectionGate::add(int fd) {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping.load()) {
      ::close(fd);
      return;
    }
    impl_->incoming.push_back(fd);
  }
  [[maybe_unused]] ssize_t n = ::write(impl_->wake[1], "x", 1);
}

void ConnectionGate::stop() {
  if (impl_) impl_->stop();
}

size_t ConnectionGate::reading() const { return impl_->n_reading.load(); }
size_t ConnectionGate::shed() const { return impl_->n_shed.load(); }
size_t ConnectionGate::timed_out() const { return impl_->n_timed_out.load(); }

}  // namespace lw::serve
