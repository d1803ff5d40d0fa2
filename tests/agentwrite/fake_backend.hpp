#pragma once
// An in-process ChatBackend answering with FakeModel, recording every prompt; a hook can delay or
// fail chosen requests.
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fake_model.hpp"
#include "net/chat.hpp"

namespace lw::testing {

class FakeBackend : public net::ChatBackend {
 public:
  // Called before answering with the prompt and the request; may sleep or throw.
  using Hook = std::function<void(const std::string& prompt, const net::ChatRequest& req)>;
  // Overrides the answer when it returns a non-empty string.
  using Answer = std::function<std::string(const std::string& prompt, const net::ChatRequest& req)>;

  FakeModel model;
  Hook hook;
  Answer answer;
  // Treat every space-separated piece as one token and cut the reply at max_tokens of them
  // (finish_reason "length"), as a server does.
  bool honour_max_tokens = false;
  // When > 0, count_tokens() answers this many tokens per word (as a local model's tokenizer would).
  double tokens_per_word = 0;

  std::optional<int64_t> count_tokens(std::string_view text) const override {
    if (tokens_per_word <= 0) return std::nullopt;
    int64_t words = 0;
    bool in = false;
    for (char c : text) {
      bool sp = c == ' ' || c == '\n' || c == '\t';
      if (!sp && !in) ++words;
      in = !sp;
    }
    return static_cast<int64_t>(static_cast<double>(words) * tokens_per_word);
  }

  static void cut_to_tokens(net::ChatResponse& r, int64_t max_tokens) {
    int64_t pieces = 0;
    for (size_t i = 0; i < r.content.size(); ++i) {
      if (r.content[i] != ' ' || i == 0) continue;
      if (++pieces >= max_tokens) {
        r.content.resize(i);
        r.finish_reason = "length";
        return;
      }
    }
  }

  net::ChatResponse complete(const net::ChatRequest& req, const net::DeltaCallback& on_delta) override {
    const std::string& prompt = req.messages.back().content;
    {
      std::lock_guard lk(mu_);
      prompts_.push_back(prompt);
      ++in_flight_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
    }
    struct Dec {
      FakeBackend* b;
      ~Dec() {
        std::lock_guard lk(b->mu_);
        --b->in_flight_;
      }
    } dec{this};
    if (hook) hook(prompt, req);
    net::ChatResponse r;
    if (answer) r.content = answer(prompt, req);
    if (r.content.empty()) r.content = model.answer(prompt);
    r.finish_reason = "stop";
    if (honour_max_tokens && req.max_tokens) cut_to_tokens(r, *req.max_tokens);
    r.usage.completion_tokens = static_cast<int64_t>(r.content.size() / 4);
    r.seconds = 0.001;
    if (on_delta)
      for (size_t i = 0; i < r.content.size(); i += 16) on_delta(std::string_view(r.content).substr(i, 16));
    return r;
  }
  int suggested_concurrency() const override { return 8; }
  std::string describe() const override { return "fake"; }

  std::vector<std::string> prompts() const {
    std::lock_guard lk(mu_);
    return prompts_;
  }
  int in_flight() const {
    std::lock_guard lk(mu_);
    return in_flight_;
  }
  int max_in_flight() const {
    std::lock_guard lk(mu_);
    return max_in_flight_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> prompts_;
  int in_flight_ = 0, max_in_flight_ = 0;
};

}  // namespace lw::testing
