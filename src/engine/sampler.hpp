#pragma once
// Token sampling from one row of logits through one chain of stages, in this order (each one off
// at its default):
//
//   1. logit_bias          logit[id] += bias                        (OpenAI's logit_bias)
//   2. repetition_penalty  over the distinct tokens of the last penalty_last_n tokens of prompt +
//                          reply: a positive logit is divided by the penalty, a negative one
//                          multiplied (HF's / vLLM's definition)
//   3. frequency/presence  over the last penalty_last_n reply tokens:
//                          logit -= count * frequency_penalty + (count > 0) * presence_penalty
//                          (OpenAI's definition)
//   4. DRY                 "don't repeat yourself" (llama.cpp's definition): a token that would
//                          extend a repeat of the text's ending of length L >= allowed_length is
//                          penalised by multiplier * base^(L - allowed_length); repeats do not
//                          cross a sequence-breaker token; over the last penalty_last_n tokens
//   5. greedy              temperature 0: the argmax of the adjusted logits (stages 6-9 skipped)
//   6. top_k               keep the k largest logits
//   7. temperature         p ~ exp(logit / temperature)
//   8. min_p               drop tokens with p < min_p * p(top token)
//   9. top_p               keep the smallest set of most probable tokens whose mass reaches top_p
//  10. sample              draw from what is left (mt19937_64 seeded with seed)
//
// The sampler keeps the sequence's token history (the prompt given at construction, then every
// token it returns) for the penalties and DRY.
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lw::tok {
class Tokenizer;
}

namespace lw::engine {

struct DryParams {
  float multiplier = 0.0f;  // 0: off
  float base = 1.75f;       // >= 1
  int allowed_length = 2;   // >= 1: repeats up to this length are free
  int penalty_last_n = -1;  // tokens of prompt + reply looked at; -1: all, 0: off
  std::vector<std::string> sequence_breakers = {"\n", ":", "\"", "*"};  // llama.cpp's defaults
};

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy (argmax)
  int top_k = 0;             // 0: off
  float top_p = 1.0f;        // 1: off
  uint64_t seed = 0;
  float min_p = 0.0f;               // 0: off
  float repetition_penalty = 1.0f;  // 1: off; > 0
  float frequency_penalty = 0.0f;   // 0: off
  float presence_penalty = 0.0f;    // 0: off
  int penalty_last_n = -1;          // window of the three penalties; -1: all tokens, 0: off
  DryParams dry{};
  std::vector<std::pair<int32_t, float>> logit_bias{};  // (token id, added bias)
};

// Throws InputError naming the first out-of-range value (vocab: > 0 also checks logit_bias ids).
void validate(const SamplingParams& p, int32_t vocab = 0);

// The stages that change logits in place (tested one by one; the sampler chains them).
void apply_logit_bias(std::span<float> logits, std::span<const std::pair<int32_t, float>> bias);
// `window`: the tokens looked at; `seen` is scratch of logits.size() zeros, left zeroed.
void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> window, float penalty,
                              std::vector<int32_t>& seen);
void apply_frequency_presence(std::span<float> logits, std::span<const int32_t> window, float frequency,
                              float presence, std::vector<int32_t>& counts);
// `history`: the tokens looked at (the last ones); is_breaker: per token id, may be empty (none).
void apply_dry(std::span<float> logits, std::span<const int32_t> history, const DryParams& p,
               std::span<const char> is_breaker);
// The tokens whose text contains one of `breakers` (DRY's sequence breakers at the token level).
std::vector<char> dry_breaker_mask(const tok::Tokenizer& tok, int32_t vocab,
                                   const std::vector<std::string>& breakers);

class Sampler {
 public:
  // prompt: the tokens before the reply (for the repetition penalty and DRY). tok: for DRY's
  // sequence breakers (none without a tokenizer).
  explicit Sampler(const SamplingParams& p, std::span<const int32_t> prompt = {},
                   const tok::Tokenizer* tok = nullptr);
  // Picks a token from logits (V) and appends it to the history. Deterministic for a given seed
  // and sequence of calls.
  int32_t sample(std::span<const float> logits);
  const SamplingParams& params() const { return p_; }
  // The adjusted logits of the last sample() call (stages 1-4); empty when no stage is on.
  std::span<const float> adjusted() const { return work_; }

  // For speculative decoding (engine/speculative.hpp), the pieces of sample() on their own:
  // the probabilities (V, summing to 1) that sample() would draw from now (stages 1-9 over the
  // current history; greedy: 1 for the argmax), without drawing or appending.
  void probabilities(std::span<const float> logits, std::vector<float>& p);
  // A draw proportional to non-negative weights (V) from this sampler's generator (no append).
  int32_t draw(std::span<const float> weights);
  // A uniform number in [0, 1) from this sampler's generator.
  double uniform();
  // Appends a token to the history (one sample() did not return, e.g. an accepted draft).
  void push(int32_t id) { history_.push_back(id); }

 private:
  bool adjusts() const;
  void adjust(std::span<const float> logits);
  // Stages 6-9 over (adjusted) logits: cand_[0, n) holds (weight, id) of the kept tokens; returns
  // n and their weight sum. Not for greedy.
  int candidates(std::span<const float> logits, double& sum);
  std::span<const int32_t> last(int n, size_t from) const;

  SamplingParams p_;
  std::mt19937_64 rng_;
  std::vector<int32_t> history_;
  size_t prompt_len_ = 0;
  std::vector<char> breakers_;
  std::vector<int32_t> scratch_;
  std::vector<float> work_;
  std::vector<std::pair<float, int32_t>> cand_;  // scratch
};

// Index of the largest logit (the first one on ties).
int32_t argmax(std::span<const float> logits);

}  // namespace lw::engine
