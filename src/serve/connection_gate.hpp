#pragma once
// The connection gate: one thread that reads every new connection's request (head and body) with
// non-blocking sockets and poll(), so a client that sends slowly holds a few bytes of memory, not a
// worker thread. A request is handed to a worker only once it is complete. Limits:
//   - a deadline for the head (header_timeout) and one for the whole request (request_timeout),
//     answered 408 and closed;
//   - at most max_reading connections in the reading state: a new one sheds the oldest (503);
//   - bad heads answered at once: malformed 400, missing Content-Length 411, body over the limit
//     413, head over the limit 431 (serve/request_head.hpp); a body that ends early 400.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "serve/request_head.hpp"

namespace lw::serve {

struct GateOptions {
  HeadLimits limits;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  size_t max_reading = 256;          // connections in the reading state
  size_t max_buffered = 64u << 20;   // bytes buffered by all reading connections together
};

class ConnectionGate {
 public:
  // Called on a worker thread with a complete request (head + body, the Expect header removed);
  // it owns fd from then on and must close it.
  using Handler = std::function<void(int fd, std::string request)>;

  ConnectionGate(GateOptions options, size_t workers, Handler handler);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // A newly accepted connection (any thread). The gate owns fd from then on.
  void add(int fd);
  // Closes every connection still reading, lets running handlers finish, joins the threads.
  void stop();

  size_t reading() const;  // connections now in the reading state
  size_t shed() const;     // connections closed to make room (since start)
  size_t timed_out() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lw::serve
