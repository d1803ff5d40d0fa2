#include "engine/logprobs.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace lw::engine {

TokenLogprob token_logprob(std::span<const float> logits, int32_t id, int top_n) {
  LW_CHECK(id >= 0 && static_cast<size_t>(id) < logits.size(), "token {} outside the logits", id);
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - mx);
  const double lse = mx + std::log(sum);
  TokenLogprob t;
  t.id = id;
  t.logprob = static_cast<float>(logits[static_cast<size_t>(id)] - lse);
  const size_t n = std::min(static_cast<size_t>(std::max(top_n, 0)), logits.size());
  if (n == 0) return t;
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(),
                    [&](int32_t a, int32_t b) {
                      const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
                      return la > lb || (la == lb && a < b);
                    });
  for (size_t k = 0; k < n; ++k)
    t.top.emplace_back(ids[k], static_cast<float>(logits[static_cast<size_t>(ids[k])] - lse));
  return t;
}

}  // namespace lw::engine
