// Sampler stages 1-3: logit bias, repetition penalty, frequency and presence penalties
// (engine/sampler.hpp).
#include <cstdint>

#include "engine/sampler.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace {

void check_id(int32_t id, size_t V) {
  if (id < 0 || static_cast<size_t>(id) >= V)
    fail_input("token id {} is outside the vocabulary (size {})", id, V);
}

}  // namespace

void apply_logit_bias(std::span<float> logits, std::span<const std::pair<int32_t, float>> bias) {
  for (const auto& [id, b] : bias) {
    check_id(id, logits.size());
    logits[static_cast<size_t>(id)] += b;
  }
}

void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> window, float penalty,
                              std::vector<int32_t>& seen) {
  seen.resize(logits.size(), 0);
  for (int32_t id : window) {
    check_id(id, logits.size());
    const auto i = static_cast<size_t>(id);
    if (seen[i]) continue;
    seen[i] = 1;
    logits[i] = logits[i] > 0 ? logits[i] / penalty : logits[i] * penalty;
  }
  for (int32_t id : window) seen[static_cast<size_t>(id)] = 0;
}

void apply_frequency_presence(std::span<float> logits, std::span<const int32_t> window, float frequency,
                              float presence, std::vector<int32_t>& counts) {
  counts.resize(logits.size(), 0);
  for (int32_t id : window) {
    check_id(id, logits.size());
    ++counts[static_cast<size_t>(id)];
  }
  for (int32_t id : window) {
    const auto i = static_cast<size_t>(id);
    if (counts[i] == 0) continue;  // done already
    logits[i] -= static_cast<float>(counts[i]) * frequency + presence;
    counts[i] = 0;
  }
}

}  // namespace lw::engine
