#pragma once
// A scriptable OpenAI-compatible server on 127.0.0.1 (ephemeral port) for tests. The test supplies
// a handler that sees each /v1/chat/completions request body and decides the reply: content,
// finish_reason, an HTTP error with headers, a delay, or a hang. Streaming requests
// ("stream": true) get Server-Sent Events automatically. Every request is logged.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::testing {

struct FakeReply {
  int status = 200;
  std::string content;               // assistant text (status 200)
  std::string finish_reason = "stop";
  std::string error_message;         // for status != 200: {"error":{"message":...}}
  std::map<std::string, std::string> headers;  // e.g. {"Retry-After", "1"}
  double delay_s = 0;                // sleep before answering
  bool hang = false;                 // never answer (until the server stops)
  std::string raw_body;              // if set, sent verbatim as the body (status as given)
  int stream_chunk_chars = 7;        // SSE: characters per delta event
};

struct FakeRequest {
  nlohmann::json body;
  std::string authorization;  // the Authorization header as received
  int index = 0;              // 0-based arrival order
};

class FakeOpenAIServer {
 public:
  using Handler = std::function<FakeReply(const FakeRequest&)>;

  explicit FakeOpenAIServer(Handler handler);
  ~FakeOpenAIServer();
  FakeOpenAIServer(const FakeOpenAIServer&) = delete;
  FakeOpenAIServer& operator=(const FakeOpenAIServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT/v1"
  std::vector<FakeRequest> requests() const;
  int request_count() const { return count_.load(); }
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Handler handler_;
  int port_ = 0;
  std::atomic<int> count_{0};
  mutable std::mutex mu_;
  std::vector<FakeRequest> log_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

// The last user message of a chat request body ("" if none).
std::string last_user_message(const nlohmann::json& body);

}  // namespace lw::testing
