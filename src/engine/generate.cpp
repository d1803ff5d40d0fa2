#include "engine/generate.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace {

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Incremental text of generated ids (tok::StreamDecoder: exact, complete UTF-8 only); nothing
// without a tokenizer.
class TextStream {
 public:
  explicit TextStream(const tok::Tokenizer* tok) {
    if (tok) dec_.emplace(*tok);
  }
  std::string push(int32_t id) { return dec_ ? dec_->push(id) : std::string(); }
  std::string flush() { return dec_ ? dec_->flush() : std::string(); }

 private:
  std::optional<tok::StreamDecoder> dec_;
};

}  // namespace

GenerateResult generate(const Model& m, const tok::Tokenizer* tok, std::span<const int32_t> prompt,
                        const GenerateOptions& opts, const TokenCallback& on_token) {
  if (prompt.empty()) fail_input("generate: the prompt has no tokens");
  if (!tok && !opts.stop_strings.empty()) fail_input("generate: stop strings need a tokenizer");
  if (opts.max_new_tokens < 0) fail_input("max-new-tokens must be >= 0");
  validate(opts.sampling, m.config().V);
  const int ctx = opts.max_context > 0 ? opts.max_context : m.config().max_context;
  const int P = static_cast<int>(prompt.size());
  if (P >= ctx)
    fail_input("the prompt has {} tokens; the context limit is {} (no room to generate)", P, ctx);
  const int max_new = std::min(opts.max_new_tokens, ctx - P);

  GenerateResult res;
  res.prompt_tokens = P;
  KvCache cache(m.config(), 1, P + std::max(max_new, 1), opts.kv_dtype);
  res.kv_cache_bytes = cache.bytes();
  Workspace ws;
  std::vector<float> logits;
  Sampler sampler(opts.sampling, prompt, tok);
  TextStream text(tok);
  StopMatcher stops(opts.stop_strings);
  res.finish_reason = "length";

  double t0 = now_s();
  forward(m, Batch::single(prompt), &cache, ws, logits);
  double t1 = now_s();
  res.prefill_s = t1 - t0;
  const int V = m.config().V;
  for (int i = 0; i < max_new; ++i) {
    const int32_t id = sampler.sample(std::span<const float>(logits.data(), V));
    res.tokens.push_back(id);
    if (std::find(opts.stop_ids.begin(), opts.stop_ids.end(), id) != opts.stop_ids.end()) {
      res.finish_reason = "stop";
      break;
    }
    std::string delta = stops.push(text.push(id));
    res.text += delta;
    bool go_on = on_token ? on_token(id, delta) : true;
    if (stops.stopped() || !go_on) {
      res.finish_reason = "stop";
      break;
    }
    if (i + 1 == max_new) break;
    const int slot = 0;
    forward(m, Batch::decode(std::span<const int32_t>(&id, 1), std::span<const int>(&slot, 1)), &cache,
            ws, logits);
  }
  if (!stops.stopped()) {
    std::string tail = stops.push(text.flush());
    tail += stops.flush();
    if (!tail.empty()) {
      res.text += tail;
      if (on_token) on_token(-1, tail);
    }
  }
  res.decode_s = now_s() - t1;
  return res;
}

}  // namespace lw::engine
