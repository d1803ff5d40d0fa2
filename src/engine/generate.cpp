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
  std::vector<float> logits, scratch;
  Sampler sampler(opts.sampling, prompt, tok);
  TextStream text(tok);
  StopMatcher stops(opts.stop_strings);
  std::optional<Drafter> drafter;
  if (opts.draft.enabled()) drafter.emplace(opts.draft, opts.sampling, P + std::max(max_new, 1));
  std::vector<int32_t> seq(prompt.begin(), prompt.end());  // prompt + reply: what a draft follows
  res.finish_reason = "length";

  // Takes one sampled token; false when generation ends with it.
  auto emit = [&](int32_t id) {
    res.tokens.push_back(id);
    seq.push_back(id);
    if (std::find(opts.stop_ids.begin(), opts.stop_ids.end(), id) != opts.stop_ids.end()) {
      res.finish_reason = "stop";
      return false;
    }
    std::string delta = stops.push(text.push(id));
    res.text += delta;
    const bool go_on = on_token ? on_token(id, delta) : true;
    if (stops.stopped() || !go_on) {
      res.finish_reason = "stop";
      return false;
    }
    return static_cast<int>(res.tokens.size()) < max_new;
  };

  double t0 = now_s();
  forward(m, Batch::single(prompt), &cache, ws, logits);
  double t1 = now_s();
  res.prefill_s = t1 - t0;
  const auto V = static_cast<size_t>(m.config().V);
  bool go = max_new > 0 && emit(sampler.sample(std::span<const float>(logits.data(), V)));
  std::vector<int32_t> step;  // the last token, then the drafts
  while (go) {
    // One step: the last sampled token (not yet in the cache) and up to K drafts after it; row i of
    // the logits follows step[i]. Never more drafts than tokens left to emit, less the bonus one.
    step.assign(1, res.tokens.back());
    std::span<const int32_t> drafts;
    if (drafter) {
      const int k = std::min(opts.draft.draft_max, max_new - static_cast<int>(res.tokens.size()) - 1);
      if (k >= opts.draft.draft_min) drafts = drafter->propose(seq, k);
      if (static_cast<int>(drafts.size()) < opts.draft.draft_min) drafts = {};
    }
    step.insert(step.end(), drafts.begin(), drafts.end());
    Batch b = Batch::single(step);
    b.logit_rows = {static_cast<int32_t>(step.size())};
    const int base = cache.length(0);
    forward(m, b, &cache, ws, logits);
    int accepted = 0;
    for (size_t i = 0; i < step.size() && go; ++i) {
      const std::span<const float> row(logits.data() + i * V, V);
      if (i == drafts.size()) {  // no draft here (plain decode, or the bonus token)
        go = emit(sampler.sample(row));
        break;
      }
      const Verdict v = verify_draft(sampler, row, drafts[i], drafter->q(static_cast<int>(i)), scratch);
      go = emit(v.id);
      if (!v.accepted) break;
      ++accepted;
    }
    if (!drafts.empty()) {
      ++res.draft.steps;
      res.draft.drafted += static_cast<int64_t>(drafts.size());
      res.draft.accepted += accepted;
      cache.set_length(0, base + 1 + accepted);  // the last token and the accepted drafts
    }
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
