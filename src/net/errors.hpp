#pragma once
// Errors thrown by the OpenAI-compatible client. All derive from lw::Error (exit code 1 at the CLI),
// so callers that do not care catch lw::Error; pipelines that do care catch the refined types:
//
//   try { backend.complete(req); }
//   catch (const lw::net::ContextLengthError& e) { /* prompt + max_tokens too long: shorten */ }
//
// Messages quote the server's own error text (redacted: never an API key) and name the server.
#include <string>

#include "util/error.hpp"

namespace lw::net {

// Any failure of a request, after the client's retries.
class NetError : public Error {
 public:
  explicit NetError(const std::string& msg, bool retryable = false) : Error(msg), retryable_(retryable) {}
  // True when the failure was of a transient kind (connect error, timeout, 429, 5xx) and the
  // retries ran out; false for failures that retrying cannot fix (401, 400, a bad reply).
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

// Could not connect to any of the base URLs.
class ConnectError : public NetError {
 public:
  explicit ConnectError(const std::string& msg) : NetError(msg, true) {}
};

// The connect or total timeout expired.
class TimeoutError : public NetError {
 public:
  explicit TimeoutError(const std::string& msg) : NetError(msg, true) {}
};

// The server answered with an HTTP error status. server_message() is its error text.
class HttpStatusError : public NetError {
 public:
  HttpStatusError(const std::string& msg, int status, std::string server_message)
      : NetError(msg, status == 429 || status >= 500), status_(status),
        server_message_(std::move(server_message)) {}
  int status() const { return status_; }
  const std::string& server_message() const { return server_message_; }

 private:
  int status_;
  std::string server_message_;
};

// 401 or 403: the API key is missing, wrong or not allowed. Never retried.
class AuthError : public HttpStatusError {
 public:
  using HttpStatusError::HttpStatusError;
};

// The prompt plus max_tokens exceed the model's context window (a 400 whose message mentions
// "context length" / "maximum context", or code "context_length_exceeded"). Never retried: the
// caller must shorten the prompt or lower max_tokens.
class ContextLengthError : public HttpStatusError {
 public:
  using HttpStatusError::HttpStatusError;
};

// The reply was not what the API promises (malformed JSON, no choices, too large, a stream cut
// off after text had already been delivered to the caller).
class ProtocolError : public NetError {
 public:
  explicit ProtocolError(const std::string& msg, bool retryable = false) : NetError(msg, retryable) {}
};

// True when a server error message says the context window was exceeded.
bool is_context_length_message(const std::string& message);

}  // namespace lw::net
