// Speculative decoding's pieces (engine/speculative.hpp): n-gram lookup, the draft model's
// proposals, the accept/reject rule and the vocabulary check. The verify loop is in generate.cpp
// (one sequence) and serve/scheduler.cpp (continuous batching).
#include "engine/speculative.hpp"

#include <algorithm>

#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace lw::engine {

void validate(const DraftOptions& d) {
  if (d.lookup && d.draft_model) fail_input("--lookup and --draft-model: give one draft source, not both");
  if (d.draft_max < 1 || d.draft_max > 15) fail_input("--draft-max must be in 1..15 (got {})", d.draft_max);
  if (d.draft_min < 1 || d.draft_min > d.draft_max)
    fail_input("--draft-min must be in 1..--draft-max ({}) (got {})", d.draft_max, d.draft_min);
  if (d.ngram_min < 1 || d.ngram_max < d.ngram_min)
    fail_input("lookup n-gram lengths must satisfy 1 <= min <= max (got {}..{})", d.ngram_min, d.ngram_max);
}

std::string draft_summary(const DraftStats& s) {
  return fmt::format(
      "speculative: {} drafted, {} accepted ({} rejected), acceptance {:.1f} %, {} verify steps", s.drafted,
      s.accepted, s.rejected(), 100.0 * s.acceptance(), s.steps);
}

std::vector<int32_t> lookup_draft(std::span<const int32_t> ctx, int k, int ngram_max, int ngram_min) {
  const int L = static_cast<int>(ctx.size());
  for (int n = std::min(ngram_max, L - 1); n >= ngram_min && n >= 1; --n) {
    const int32_t* suffix = ctx.data() + (L - n);
    // The most recent earlier occurrence ctx[j, j + n) with at least one token after it.
    for (int j = L - n - 1; j >= 0; --j) {
      if (!std::equal(suffix, suffix + n, ctx.data() + j)) continue;
      const int from = j + n, to = std::min(L, from + k);
      return {ctx.begin() + from, ctx.begin() + to};
    }
  }
  return {};
}

Drafter::Drafter(const DraftOptions& o, const SamplingParams& target, int max_ctx) : o_(o) {
  validate(o);
  if (!o.draft_model) return;
  cache_.emplace(o.draft_model->config(), 1, max_ctx, DType::f16);
  if (target.temperature > 0.0f && target.top_k != 1) {
    // The draft's own distribution q: the target's truncation and temperature, no penalties.
    SamplingParams d;
    d.temperature = target.temperature;
    d.top_k = target.top_k;
    d.top_p = target.top_p;
    d.min_p = target.min_p;
    d.seed = target.seed ^ 0x9e3779b97f4a7c15ULL;
    sampler_.emplace(d);
  }
}

std::span<const int32_t> Drafter::propose(std::span<const int32_t> ctx, int k) {
  drafts_.clear();
  if (k <= 0 || ctx.empty()) return drafts_;
  drafts_ = o_.lookup ? lookup_draft(ctx, k, o_.ngram_max, o_.ngram_min) : propose_model(ctx, k);
  return drafts_;
}

std::span<const float> Drafter::q(int i) const {
  if (!sampler_ || i < 0 || static_cast<size_t>(i) >= q_.size()) return {};
  return q_[static_cast<size_t>(i)];
}

// The draft model's cache keeps its longest prefix shared with ctx (all but at least the last
// token, fed again for its logits); then k tokens are decoded one at a time.
std::vector<int32_t> Drafter::propose_model(std::span<const int32_t> ctx, int k) {
  KvCache& cache = *cache_;
  const Model& m = *o_.draft_model;
  k = std::min(k, cache.max_ctx() - static_cast<int>(ctx.size()) + 1);
  std::vector<int32_t> out;
  if (k <= 0) return out;
  size_t keep = std::mismatch(cached_.begin(), cached_.end(), ctx.begin(), ctx.end()).first - cached_.begin();
  keep = std::min(keep, ctx.size() - 1);
  cached_.resize(keep);
  cache.set_length(0, static_cast<int>(keep));
  std::span<const int32_t> feed = ctx.subspan(keep);
  forward(m, Batch::single(feed, 0), &cache, ws_, logits_);
  cached_.insert(cached_.end(), feed.begin(), feed.end());
  const auto V = static_cast<size_t>(m.config().V);
  if (sampler_) q_.resize(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) {
    const std::span<const float> row(logits_.data(), V);
    int32_t d;
    if (sampler_) {
      auto& q = q_[static_cast<size_t>(i)];
      sampler_->probabilities(row, q);
      d = sampler_->draw(q);
    } else {
      d = argmax(row);
    }
    out.push_back(d);
    if (i + 1 == k) break;
    const int slot = 0;
    forward(m, Batch::decode(std::span<const int32_t>(&d, 1), std::span<const int>(&slot, 1)), &cache, ws_,
            logits_);
    cached_.push_back(d);
  }
  return out;
}

Verdict verify_draft(Sampler& target, std::span<const float> row, int32_t x, std::span<const float> q,
                     std::vector<float>& scratch) {
  if (q.empty()) {  // point mass at x: accept with p(x); a rejection's y is p without x
    const int32_t y = target.sample(row);
    return {y, y == x};
  }
  std::vector<float>& p = scratch;
  target.probabilities(row, p);
  const auto xi = static_cast<size_t>(x);
  if (target.uniform() * q[xi] < p[xi]) {  // u < p(x) / q(x)
    target.push(x);
    return {x, true};
  }
  bool any = false;
  for (size_t i = 0; i < p.size(); ++i) {  // the residual max(0, p - q), drawn unnormalized
    p[i] = std::max(0.0f, p[i] - q[i]);
    any |= p[i] > 0.0f;
  }
  if (!any) target.probabilities(row, p);  // p == q up to rounding: the residual is empty
  const int32_t y = target.draw(p);
  target.push(y);
  return {y, false};
}

std::unique_ptr<Model> load_draft_model(const std::filesystem::path& path, const Model& target,
                                        const tok::Tokenizer* target_tok, const LoadOptions& opts) {
  if (!std::filesystem::exists(path))
    fail_input("--draft-model {}: no such model directory or .gguf file", path.string());
  LoadOptions lo = opts;
  lo.max_context = std::max(lo.max_context, target.config().max_context);
  auto draft = load_model(path, lo);
  std::unique_ptr<tok::Tokenizer> draft_tok;
  if (target_tok) draft_tok = tok::load_tokenizer(path);
  check_draft_vocab(target, target_tok, target.source(), *draft, draft_tok.get(), path.string());
  return draft;
}

void check_draft_vocab(const Model& target, const tok::Tokenizer* target_tok, const std::string& target_path,
                       const Model& draft, const tok::Tokenizer* draft_tok, const std::string& draft_path) {
  const int tv = target.config().V, dv = draft.config().V;
  if (tv != dv)
    fail_input(
        "draft model {} has a vocabulary of {} tokens, the target {} has {}: a draft model must share "
        "the target's vocabulary",
        draft_path, dv, target_path, tv);
  if (!target_tok || !draft_tok) return;
  if (target_tok->vocab_size() != draft_tok->vocab_size())
    fail_input(
        "draft model {}'s tokenizer has {} tokens, the target {}'s has {}: a draft model must share the "
        "target's vocabulary",
        draft_path, draft_tok->vocab_size(), target_path, target_tok->vocab_size());
  for (int32_t id = 0; id < target_tok->vocab_size(); ++id)
    if (target_tok->token_bytes(id) != draft_tok->token_bytes(id) ||
        target_tok->is_special(id) != draft_tok->is_special(id))
      fail_input(
          "draft model {} and the target {} have different token texts (first at id {}: \"{}\" vs \"{}\"): "
          "a draft model must share the target's vocabulary",
          draft_path, target_path, id, draft_tok->token_bytes(id), target_tok->token_bytes(id));
}

}  // namespace lw::engine
