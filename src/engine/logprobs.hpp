#pragma once
// Log-probabilities of a sampled token and of the most likely alternatives, from the log-softmax of
// the model's raw logits (before the sampler chain), as vLLM reports them by default and OpenAI's
// logprobs / top_logprobs fields carry them.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace lw::engine {

struct TokenLogprob {
  int32_t id = -1;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top;  // the top_n most likely tokens, most likely first
};

// log_softmax(logits)[id] and the top_n largest entries (ties: the smaller id first).
TokenLogprob token_logprob(std::span<const float> logits, int32_t id, int top_n);

}  // namespace lw::engine
