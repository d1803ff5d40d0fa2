#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace lw::engine {

int32_t argmax(std::span<const float> logits) {
  LW_CHECK(!logits.empty(), "argmax of no logits");
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(const SamplingParams& p) : p_(p), rng_(p.seed) {
  if (p.temperature < 0) fail_input("temperature must be >= 0 (got {})", p.temperature);
  if (p.top_k < 0) fail_input("top-k must be >= 0 (got {})", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) fail_input("top-p must be in (0, 1] (got {})", p.top_p);
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (p_.temperature == 0.0f || p_.top_k == 1) return argmax(logits);
  const int V = static_cast<int>(logits.size());
  cand_.resize(V);
  for (int i = 0; i < V; ++i) cand_[i] = {logits[i], i};
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  int n = V;
  if (p_.top_k > 0 && p_.top_k < V) {
    std::partial_sort(cand_.begin(), cand_.begin() + p_.top_k, cand_.end(), by_logit);
    n = p_.top_k;
  } else if (p_.top_p < 1.0f) {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  // Probabilities of the candidates at this temperature.
  const float mx = (p_.top_k > 0 || p_.top_p < 1.0f) ? cand_[0].first
                                                     : std::max_element(cand_.begin(), cand_.end(), [](auto& a, auto& b) { return a.first < b.first; })->first;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    cand_[i].first = static_cast<float>(std::exp((cand_[i].first - mx) / p_.temperature));
    sum += cand_[i].first;
  }
  if (p_.top_p < 1.0f) {
    // Sorted descending: keep the smallest prefix whose mass reaches top_p.
    double cum = 0;
    int keep = 0;
    while (keep < n) {
      cum += cand_[keep].first / sum;
      ++keep;
      if (cum >= p_.top_p) break;
    }
    n = keep;
    sum = 0;
    for (int i = 0; i < n; ++i) sum += cand_[i].first;
  }
  std::uniform_real_distribution<double> u(0.0, sum);
  double r = u(rng_), acc = 0;
  for (int i = 0; i < n; ++i) {
    acc += cand_[i].first;
    if (r < acc) return cand_[i].second;
  }
  return cand_[n - 1].second;
}

}  // namespace lw::engine
