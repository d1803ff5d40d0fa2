// The sampler chain (engine/sampler.hpp): stages 1-4 adjust a copy of the logits, then greedy or
// top-k, temperature, min-p, top-p and a seeded draw.
#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>

#include "tokenizer/tokenizer.hpp"
#include "util/error.hpp"

namespace lw::engine {

int32_t argmax(std::span<const float> logits) {
  LW_CHECK(!logits.empty(), "argmax of no logits");
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void validate(const SamplingParams& p, int32_t vocab) {
  auto finite = [](float x) { return std::isfinite(x); };
  if (!(p.temperature >= 0) || !finite(p.temperature))
    fail_input("temperature must be >= 0 (got {})", p.temperature);
  if (p.top_k < 0) fail_input("top-k must be >= 0 (got {})", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) fail_input("top-p must be in (0, 1] (got {})", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) fail_input("min-p must be in [0, 1] (got {})", p.min_p);
  if (!(p.repetition_penalty > 0.0f) || !finite(p.repetition_penalty))
    fail_input("repetition penalty must be > 0 (got {})", p.repetition_penalty);
  if (!finite(p.frequency_penalty)) fail_input("frequency penalty must be finite");
  if (!finite(p.presence_penalty)) fail_input("presence penalty must be finite");
  if (p.penalty_last_n < -1) fail_input("penalty-last-n must be >= -1 (got {})", p.penalty_last_n);
  if (!(p.dry.multiplier >= 0.0f) || !finite(p.dry.multiplier))
    fail_input("DRY multiplier must be >= 0 (got {})", p.dry.multiplier);
  if (!(p.dry.base >= 1.0f) || !finite(p.dry.base)) fail_input("DRY base must be >= 1 (got {})", p.dry.base);
  if (p.dry.allowed_length < 1) fail_input("DRY allowed length must be >= 1 (got {})", p.dry.allowed_length);
  if (p.dry.penalty_last_n < -1)
    fail_input("DRY penalty-last-n must be >= -1 (got {})", p.dry.penalty_last_n);
  for (const auto& [id, b] : p.logit_bias) {
    if (!finite(b)) fail_input("logit bias of token {} must be finite", id);
    if (id < 0 || (vocab > 0 && id >= vocab))
      fail_input("logit bias: token id {} is outside the vocabulary (size {})", id, vocab);
  }
}

Sampler::Sampler(const SamplingParams& p, std::span<const int32_t> prompt, const tok::Tokenizer* tok)
    : p_(p), rng_(p.seed), history_(prompt.begin(), prompt.end()), prompt_len_(prompt.size()) {
  validate(p);
  if (tok && p.dry.multiplier > 0 && p.dry.penalty_last_n != 0)
    breakers_ = dry_breaker_mask(*tok, tok->vocab_size(), p.dry.sequence_breakers);
}

bool Sampler::adjusts() const {
  const bool penalties =
      p_.penalty_last_n != 0 &&
      (p_.repetition_penalty != 1.0f || p_.frequency_penalty != 0.0f || p_.presence_penalty != 0.0f);
  const bool dry = p_.dry.multiplier > 0 && p_.dry.penalty_last_n != 0;
  return !p_.logit_bias.empty() || penalties || dry;
}

// The last n tokens of history_[from..] (all of them for n < 0).
std::span<const int32_t> Sampler::last(int n, size_t from) const {
  std::span<const int32_t> s(history_.data() + from, history_.size() - from);
  if (n >= 0 && s.size() > static_cast<size_t>(n)) s = s.subspan(s.size() - static_cast<size_t>(n));
  return s;
}

void Sampler::adjust(std::span<const float> logits) {
  work_.assign(logits.begin(), logits.end());
  apply_logit_bias(work_, p_.logit_bias);
  if (p_.penalty_last_n != 0) {
    if (p_.repetition_penalty != 1.0f)
      apply_repetition_penalty(work_, last(p_.penalty_last_n, 0), p_.repetition_penalty, scratch_);
    if (p_.frequency_penalty != 0.0f || p_.presence_penalty != 0.0f)
      apply_frequency_presence(work_, last(p_.penalty_last_n, prompt_len_), p_.frequency_penalty,
                               p_.presence_penalty, scratch_);
  }
  apply_dry(work_, history_, p_.dry, breakers_);
}

// Stages 6-9 (see sampler.hpp) into cand_[0, n): (weight relative to the top token, id).
int Sampler::candidates(std::span<const float> logits, double& sum) {
  const int V = static_cast<int>(logits.size());
  cand_.resize(static_cast<size_t>(V));
  for (int i = 0; i < V; ++i) cand_[static_cast<size_t>(i)] = {logits[static_cast<size_t>(i)], i};
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  // 6. top-k; top-p needs the candidates sorted too.
  int n = V;
  if (p_.top_k > 0 && p_.top_k < V) {
    std::partial_sort(cand_.begin(), cand_.begin() + p_.top_k, cand_.end(), by_logit);
    n = p_.top_k;
  } else if (p_.top_p < 1.0f) {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  const bool sorted = p_.top_k > 0 || p_.top_p < 1.0f;
  const float mx =
      sorted ? cand_[0].first : std::max_element(cand_.begin(), cand_.end(), [](auto& a, auto& b) {
                                  return a.first < b.first;
                                })->first;
  // 7. temperature: weights relative to the top token (which has weight 1).
  for (int i = 0; i < n; ++i) {
    auto& c = cand_[static_cast<size_t>(i)];
    c.first = std::exp((c.first - mx) / p_.temperature);
  }
  // 8. min-p: weight / top weight = p / p(top).
  if (p_.min_p > 0.0f) {
    auto end = std::stable_partition(cand_.begin(), cand_.begin() + n,
                                     [&](const auto& c) { return c.first >= p_.min_p; });
    n = static_cast<int>(end - cand_.begin());
  }
  sum = 0;
  for (int i = 0; i < n; ++i) sum += cand_[static_cast<size_t>(i)].first;
  // 9. top-p (sorted descending): the smallest prefix whose mass reaches top_p.
  if (p_.top_p < 1.0f) {
    double cum = 0;
    int keep = 0;
    while (keep < n) {
      cum += cand_[static_cast<size_t>(keep)].first / sum;
      ++keep;
      if (cum >= p_.top_p) break;
    }
    n = keep;
    sum = 0;
    for (int i = 0; i < n; ++i) sum += cand_[static_cast<size_t>(i)].first;
  }
  return n;
}

int32_t Sampler::sample(std::span<const float> raw) {
  std::span<const float> logits = raw;
  if (adjusts()) {
    adjust(raw);
    logits = work_;
  }
  const int32_t id = [&] {
    if (p_.temperature == 0.0f || p_.top_k == 1) return argmax(logits);
    double sum = 0;
    const int n = candidates(logits, sum);
    // 10. draw.
    std::uniform_real_distribution<double> u(0.0, sum);
    double r = u(rng_), acc = 0;
    for (int i = 0; i < n; ++i) {
      acc += cand_[static_cast<size_t>(i)].first;
      if (r < acc) return cand_[static_cast<size_t>(i)].second;
    }
    return cand_[static_cast<size_t>(n - 1)].second;
  }();
  history_.push_back(id);
  return id;
}

void Sampler::probabilities(std::span<const float> raw, std::vector<float>& p) {
  std::span<const float> logits = raw;
  if (adjusts()) {
    adjust(raw);
    logits = work_;
  }
  p.assign(logits.size(), 0.0f);
  if (p_.temperature == 0.0f || p_.top_k == 1) {
    p[static_cast<size_t>(argmax(logits))] = 1.0f;
    return;
  }
  double sum = 0;
  const int n = candidates(logits, sum);
  for (int i = 0; i < n; ++i) {
    const auto& c = cand_[static_cast<size_t>(i)];
    p[static_cast<size_t>(c.second)] = static_cast<float>(c.first / sum);
  }
}

int32_t Sampler::draw(std::span<const float> weights) {
  double sum = 0;
  for (float w : weights) sum += w;
  LW_CHECK(sum > 0, "draw from weights that sum to {}", sum);
  std::uniform_real_distribution<double> u(0.0, sum);
  double r = u(rng_), acc = 0;
  int32_t last = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    acc += weights[i];
    last = static_cast<int32_t>(i);
    if (r < acc) return last;
  }
  return last;
}

double Sampler::uniform() {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

}  // namespace lw::engine
