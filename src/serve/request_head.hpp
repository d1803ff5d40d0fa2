#pragma once
// The request head as the server's connection gate (serve/connection_gate.hpp) reads it, before any
// worker thread is given the connection: where the head ends, how long the body is, and whether
// the request must be refused at once (a malformed line, a bad Content-Length, a head or body over
// the limits). A pure function over the bytes received so far, so it is fuzzed directly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lw::serve {

struct HeadLimits {
  size_t max_head_bytes = 16 << 10;  // request line + headers
  size_t max_body_bytes = 8u << 20;
};

struct RequestHead {
  enum class State { need_more, complete, reject };
  State state = State::need_more;
  int status = 0;            // reject: the HTTP status to answer (400, 411, 413, 431)
  std::string message;       // reject: why, for the error body
  size_t head_bytes = 0;     // complete: bytes of the request line, headers and blank line
  uint64_t body_bytes = 0;   // complete: the Content-Length (0 when there is no body)
  bool expect_continue = false;
  size_t expect_begin = 0, expect_end = 0;  // the Expect header line's bytes, when present
};

// Examines the bytes received so far on a connection.
RequestHead examine_request_head(std::string_view data, const HeadLimits& limits);

// "Bad Request" for 400, ... (the reason phrases of the statuses the gate answers).
const char* status_reason(int status);

}  // namespace lw::serve
