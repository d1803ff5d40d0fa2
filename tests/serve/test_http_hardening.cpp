// The server against hostile clients (issue #19): slow ("trickling") clients may not starve
// anyone, every bad Content-Length gets its answer, deadlines close stalled requests, the oldest
// reading connection is shed past the cap, and a message without content is a 400.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/chat.hpp"
#include "serve/http_server.hpp"
#include "serve/openai_api.hpp"
#include "serve/request_head.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class EchoBackend : public lw::net::ChatBackend {
 public:
  lw::net::ChatResponse complete(const lw::net::ChatRequest& req, const lw::net::DeltaCallback& on_delta) override {
    lw::net::ChatResponse r;
    r.content = "echo: " + req.messages.back().content;
    r.finish_reason = "stop";
    if (on_delta) on_delta(r.content);
    return r;
  }
  int suggested_concurrency() const override { return 4; }
  std::string describe() const override { return "echo"; }
};

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the server closes or `timeout` passes; returns what arrived.
std::string read_reply(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto until = Clock::now() + timeout;
  char buf[4096];
  while (Clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int status_of(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return -1;
  return std::stoi(reply.substr(9, 3));
}

// One request on a fresh connection; the status (or -1) and the time it took.
std::pair<int, double> timed_request(int port, const std::string& request, std::chrono::milliseconds timeout = 5000ms) {
  const auto t0 = Clock::now();
  int fd = connect_to(port);
  if (fd < 0) return {-1, 0.0};
  send_all(fd, request);
  std::string reply = read_reply(fd, timeout);
  ::close(fd);
  return {status_of(reply), std::chrono::duration<double>(Clock::now() - t0).count()};
}

std::string chat_request(const std::string& body) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string kChat = R"({"model":"tiny","messages":[{"role":"user","content":"hi"}]})";
const std::string kHealth = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

class Hardening : public ::testing::Test {
 protected:
  void start(lw::serve::ServerOptions o = {}) {
    o.port = 0;
    o.model_name = "tiny";
    server_ = std::make_unique<lw::serve::HttpServer>(backend_, o);
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  EchoBackend backend_;
  std::unique_ptr<lw::serve::HttpServer> server_;
};

TEST_F(Hardening, TrickleOf200ConnectionsFor30sStarvesNobody) {
  lw::serve::ServerOptions o;
  o.header_timeout_ms = 10000;
  start(o);
  const int port = server_->port();
  // 200 clients that each send one header byte every ~2 s and never finish; one that the server
  // closes (header deadline) reconnects at once, so 200 stay open for the whole 30 s.
  std::atomic<bool> stop{false};
  std::atomic<int> open{0}, reconnects{0};
  std::thread trickler([&] {
    const std::string head = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    std::vector<int> fds(200, -1);
    std::vector<size_t> sent(200, 0);
    auto trickle = [&](size_t i) {
      char c = sent[i] < head.size() ? head[sent[i]] : 'x';
      if (::send(fds[i], &c, 1, MSG_NOSIGNAL) != 1) return false;
      ++sent[i];
      return true;
    };
    while (!stop.load()) {
      int n_open = 0;
      for (size_t i = 0; i < fds.size() && !stop.load(); ++i) {
        if (fds[i] >= 0 && !trickle(i)) {
          ::close(fds[i]);
          fds[i] = -1;
        }
        if (fds[i] < 0) {  // closed by the server (header deadline): connect again at once
          fds[i] = connect_to(port);
          sent[i] = 0;
          if (fds[i] < 0 || !trickle(i)) continue;
          reconnects.fetch_add(1);
        }
        ++n_open;
      }
      open.store(n_open);
      for (int k = 0; k < 20 && !stop.load(); ++k) std::this_thread::sleep_for(100ms);
    }
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  });
  std::this_thread::sleep_for(2s);  // all 200 connected and trickling
  const auto until = Clock::now() + 30s;
  int rounds = 0;
  double worst_health = 0, worst_chat = 0;
  while (Clock::now() < until) {
    auto [hs, ht] = timed_request(port, kHealth, 2000ms);
    auto [cs, ct] = timed_request(port, chat_request(kChat), 2000ms);
    EXPECT_EQ(hs, 200) << "round " << rounds;
    EXPECT_EQ(cs, 200) << "round " << rounds;
    EXPECT_LT(ht, 2.0);
    EXPECT_LT(ct, 2.0);
    worst_health = std::max(worst_health, ht);
    worst_chat = std::max(worst_chat, ct);
    ++rounds;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_GE(open.load(), 190) << "the trickling clients should stay connected";
  stop.store(true);
  trickler.join();
  EXPECT_GT(rounds, 20);
  std::printf("trickle: %d rounds, worst /health %.3f s, worst chat %.3f s, %d reconnections\n", rounds,
              worst_health, worst_chat, reconnects.load());
}

TEST_F(Hardening, NegativeContentLengthIs400) {
  start();
  auto [s, t] = timed_request(server_->port(),
                              "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: -5\r\n\r\n" + kChat);
  EXPECT_EQ(s, 400);
  EXPECT_LT(t, 2.0);
}

TEST_F(Hardening, NonNumericOrOverflowingContentLengthIs400) {
  start();
  EXPECT_EQ(timed_request(server_->port(), "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n").first,
            400);
  EXPECT_EQ(timed_request(server_->port(),
                          "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")
                .first,
            400);
  EXPECT_EQ(timed_request(server_->port(),
                          "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")
                .first,
            400);
}

TEST_F(Hardening, HugeContentLengthIs413) {
  start();
  auto [s, t] = timed_request(server_->port(),
                              "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 9000000000000\r\n\r\n{");
  EXPECT_EQ(s, 413);
  EXPECT_LT(t, 2.0);
}

TEST_F(Hardening, MissingContentLengthIs411) {
  start();
  EXPECT_EQ(timed_request(server_->port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n").first, 411);
  EXPECT_EQ(timed_request(server_->port(),
                          "POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                .first,
            411);
}

TEST_F(Hardening, ContentLengthLargerThanTheBodyIs400WhenTheClientStops) {
  start();
  int fd = connect_to(server_->port());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 500\r\n\r\n" + kChat);
  ::shutdown(fd, SHUT_WR);  // the client says it is done: 59 of 500 bytes
  std::string reply = read_reply(fd, 3000ms);
  ::close(fd);
  EXPECT_EQ(status_of(reply), 400) << reply;
  EXPECT_NE(reply.find("ended after"), std::string::npos) << reply;
}

TEST_F(Hardening, ContentLengthLargerThanTheBodyIs408AtTheDeadline) {
  lw::serve::ServerOptions o;
  o.read_timeout_s = 1;
  start(o);
  const auto t0 = Clock::now();
  int fd = connect_to(server_->port());
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 500\r\n\r\n" + kChat);
  // The 408 must come by the deadline (read_reply gives up after 5 s: no reply is a failure), and
  // not before the 1 s read timeout has passed. No upper time window: a loaded machine may be slow.
  std::string reply = read_reply(fd, 5000ms);
  ::close(fd);
  EXPECT_EQ(status_of(reply), 408) << reply;
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_GE(took, 0.9);
}

TEST_F(Hardening, HeadNotFinishedInTimeIs408) {
  lw::serve::ServerOptions o;
  o.header_timeout_ms = 500;
  start(o);
  int fd = connect_to(server_->port());
  send_all(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // never the blank line
  std::string reply = read_reply(fd, 3000ms);
  ::close(fd);
  EXPECT_EQ(status_of(reply), 408) << reply;
}

TEST_F(Hardening, OldestReadingConnectionIsShedPastTheCap) {
  lw::serve::ServerOptions o;
  o.max_reading = 4;
  start(o);
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) {
    fds.push_back(connect_to(server_->port()));
    send_all(fds.back(), "GET /he");
    std::this_thread::sleep_for(50ms);  // a definite order
  }
  EXPECT_EQ(status_of(read_reply(fds[0], 2000ms)), 503);
  for (size_t i = 1; i < fds.size(); ++i) EXPECT_EQ(read_reply(fds[i], 100ms), "") << i;
  for (int fd : fds) ::close(fd);
  // And the server still answers.
  EXPECT_EQ(timed_request(server_->port(), kHealth).first, 200);
}

TEST_F(Hardening, ExpectContinueIsHonoured) {
  start();
  int fd = connect_to(server_->port());
  send_all(fd,
           "POST /v1/chat/completions HTTP/1.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
           "Content-Length: " +
               std::to_string(kChat.size()) + "\r\n\r\n");
  std::string interim = read_reply(fd, 500ms);
  EXPECT_EQ(interim.rfind("HTTP/1.1 100", 0), 0u) << interim;
  send_all(fd, kChat);
  std::string reply = read_reply(fd, 3000ms);
  ::close(fd);
  EXPECT_EQ(status_of(reply), 200) << reply;
  EXPECT_NE(reply.find("echo: hi"), std::string::npos);
}

TEST_F(Hardening, MessageContentMissingOrNullIs400) {
  start();
  for (const std::string body : {R"({"messages":[{"role":"user","content":null}]})", R"({"messages":[{"role":"user"}]})"}) {
    int fd = connect_to(server_->port());
    send_all(fd, chat_request(body));
    std::string reply = read_reply(fd, 3000ms);
    ::close(fd);
    EXPECT_EQ(status_of(reply), 400) << reply;
    EXPECT_NE(reply.find("messages[0].content"), std::string::npos) << reply;
  }
}

TEST(ChatRequest, OverflowingIntegerIsReportedAsWritten) {
  try {
    lw::serve::parse_chat_request(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":18446744073709551600})");
    FAIL() << "accepted";
  } catch (const lw::serve::BadRequest& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("18446744073709551600"), std::string::npos) << m;
    EXPECT_EQ(m.find("-16"), std::string::npos) << m;
  }
}

TEST(RequestHead, ContentLengthCases) {
  using lw::serve::RequestHead;
  lw::serve::HeadLimits lim;
  lim.max_body_bytes = 1000;
  auto st = [&](const std::string& r) { return lw::serve::examine_request_head(r, lim); };
  EXPECT_EQ(st("GET / HTTP/1.1\r\nHost: x\r\n").state, RequestHead::State::need_more);
  auto ok = st("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_EQ(ok.state, RequestHead::State::complete);
  EXPECT_EQ(ok.body_bytes, 10u);
  EXPECT_EQ(ok.head_bytes, 40u);
  EXPECT_EQ(st("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n").status, 400);
  EXPECT_EQ(st("POST /x HTTP/1.1\r\nContent-Length: 1001\r\n\r\n").status, 413);
  EXPECT_EQ(st("POST /x HTTP/1.1\r\n\r\n").status, 411);
  EXPECT_EQ(st("GARBAGE\r\n\r\n").status, 400);
  EXPECT_EQ(st(std::string(20000, 'a')).status, 431);
}

}  // namespace
