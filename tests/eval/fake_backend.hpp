#pragma once
// An in-process ChatBackend for pipeline tests: a scripted reply per request, thread-safe, and a
// record of every request and of the most requests seen in flight at once.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "net/chat.hpp"
#include "util/error.hpp"

namespace lw::testing {

class FakeBackend : public net::ChatBackend {
 public:
  // Returns the reply for a request (the index counts all requests, from 0); may throw lw::Error.
  using Script = std::function<net::ChatResponse(const net::ChatRequest&, int index)>;

  explicit FakeBackend(Script script, double delay_s = 0) : script_(std::move(script)), delay_s_(delay_s) {}

  net::ChatResponse complete(const net::ChatRequest& req, const net::DeltaCallback& on_delta) override {
    int now = ++in_flight_;
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{in_flight_};
    int prev = max_in_flight_.load();
    while (now > prev && !max_in_flight_.compare_exchange_weak(prev, now)) {
    }
    int index;
    {
      std::lock_guard lk(mu_);
      index = static_cast<int>(requests_.size());
      requests_.push_back(req);
    }
    if (delay_s_ > 0) std::this_thread::sleep_for(std::chrono::duration<double>(delay_s_));
    net::ChatResponse r = script_(req, index);
    if (on_delta) {
      for (size_t i = 0; i < r.content.size(); i += 5) on_delta(std::string_view(r.content).substr(i, 5));
    }
    return r;
  }
  int suggested_concurrency() const override { return 4; }
  std::string describe() const override { return "fake"; }

  std::vector<net::ChatRequest> requests() const {
    std::lock_guard lk(mu_);
    return requests_;
  }
  int max_in_flight() const { return max_in_flight_; }

 private:
  Script script_;
  double delay_s_;
  mutable std::mutex mu_;
  std::vector<net::ChatRequest> requests_;
  std::atomic<int> in_flight_{0}, max_in_flight_{0};
};

inline net::ChatResponse reply(std::string content, std::string finish = "stop") {
  net::ChatResponse r;
  r.content = std::move(content);
  r.finish_reason = std::move(finish);
  return r;
}

}  // namespace lw::testing
