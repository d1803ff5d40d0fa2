// Sampler stage 4: DRY, "don't repeat yourself" (engine/sampler.hpp).
//
// For each earlier position i of the history h (n tokens), the repeat ending before it is the
// longest L with h[i-k] == h[n-k] for k = 1..L: if the model now picks h[i], it extends a repeat
// of length L + 1. The token h[i] gets the penalty of its longest such L. All L come from one
// Z-array of the reversed history (linear time); a repeat may not contain a sequence breaker, so
// L is capped by the number of non-breaker tokens at the end of the history.
#include <algorithm>
#include <cmath>

#include "engine/sampler.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lw::engine {

namespace {

// z[j] = length of the longest common prefix of s and s[j..] (z[0] = n).
std::vector<int> z_array(const std::vector<int32_t>& s) {
  const int n = static_cast<int>(s.size());
  std::vector<int> z(static_cast<size_t>(n), 0);
  if (n == 0) return z;
  z[0] = n;
  for (int j = 1, l = 0, r = 0; j < n; ++j) {
    int k = 0;
    if (j < r) k = std::min(r - j, z[static_cast<size_t>(j - l)]);
    while (j + k < n && s[static_cast<size_t>(k)] == s[static_cast<size_t>(j + k)]) ++k;
    z[static_cast<size_t>(j)] = k;
    if (j + k > r) {
      l = j;
      r = j + k;
    }
  }
  return z;
}

bool breaks(std::span<const char> is_breaker, int32_t id) {
  return id >= 0 && static_cast<size_t>(id) < is_breaker.size() && is_breaker[static_cast<size_t>(id)];
}

}  // namespace

void apply_dry(std::span<float> logits, std::span<const int32_t> history, const DryParams& p,
               std::span<const char> is_breaker) {
  if (p.multiplier == 0.0f || p.penalty_last_n == 0 || history.size() < 2) return;
  if (p.penalty_last_n > 0 && history.size() > static_cast<size_t>(p.penalty_last_n))
    history = history.subspan(history.size() - static_cast<size_t>(p.penalty_last_n));
  const int n = static_cast<int>(history.size());
  int limit = 0;  // non-breaker tokens at the end
  while (limit < n && !breaks(is_breaker, history[static_cast<size_t>(n - 1 - limit)])) ++limit;
  if (limit < p.allowed_length) return;
  std::vector<int32_t> rev(history.rbegin(), history.rend());
  const std::vector<int> z = z_array(rev);
  // Position i (1 <= i < n) of the history is rev index n - i: its repeat length is z[n - i].
  std::vector<std::pair<int32_t, int>> best;  // (token, longest repeat), unsorted
  for (int i = 1; i < n; ++i) {
    const int L = std::min(z[static_cast<size_t>(n - i)], limit);
    if (L < p.allowed_length) continue;
    best.emplace_back(history[static_cast<size_t>(i)], L);
  }
  std::sort(best.begin(), best.end(), [](auto& a, auto& b) {
    return a.first < b.first || (a.first == b.first && a.second > b.second);
  });
  for (size_t k = 0; k < best.size(); ++k) {
    if (k > 0 && best[k].first == best[k - 1].first) continue;
    const auto [id, L] = best[k];
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) continue;
    const double pen = std::min(1e30, static_cast<double>(p.multiplier) *
                                          std::pow(static_cast<double>(p.base), L - p.allowed_length));
    logits[static_cast<size_t>(id)] = static_cast<float>(logits[static_cast<size_t>(id)] - pen);
  }
}

std::vector<char> dry_breaker_mask(const tok::Tokenizer& tok, int32_t vocab,
                                   const std::vector<std::string>& breakers) {
  std::vector<char> mask(static_cast<size_t>(std::max(vocab, 0)), 0);
  if (breakers.empty()) return mask;
  const int32_t n = std::min(vocab, tok.vocab_size());
  for (int32_t id = 0; id < n; ++id) {
    const std::string text = tok.token_bytes(id);
    for (const auto& b : breakers)
      if (!b.empty() && text.find(b) != std::string::npos) {
        mask[static_cast<size_t>(id)] = 1;
        break;
      }
  }
  return mask;
}

}  // namespace lw::engine
