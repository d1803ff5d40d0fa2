#pragma once
// The sizes of the miniature LongWriter experiment: the full demo (at most 15 minutes on 2 cores) and
// --quick (under a minute, run by the test suite).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "demo/corpus.hpp"

namespace lw::demo {

struct DemoScale {
  std::string name;  // "full" or "quick"
  // Corpus (lengths are multiples of kBlockWords): the capped set has outputs in [min_words,
  // short_cap]; the long set adds outputs in (short_cap, long_cap].
  int64_t min_words = 0, short_cap = 0, long_cap = 0;
  int64_t n_short = 0, n_long = 0;
  int64_t long_round_to = kBlockWords;  // long targets are multiples of this (fewer distinct numbers)
  // AgentWrite-style plan examples (each with one paragraph example) in both sets: plans for
  // targets up to plan_max_words in multiples of half a step, written in steps of plan_step_words
  // (<= short_cap).
  int64_t n_plan = 0, plan_step_words = 0, plan_max_words = 0;
  int32_t vocab_size = 0;
  // Model and training.
  int hidden = 0, layers = 0, heads = 0, kv_heads = 0, ffn = 0;
  int64_t max_len = 0;         // pack length of the long set = context of both models
  int64_t capped_max_len = 0;  // pack length of the capped set (short sequences: more, smaller steps)
  int epochs = 0;              // over the long set
  int capped_epochs = 0;       // over the (smaller) capped set
  int64_t packs_per_step = 0;
  double lr = 0;
  // Ruler: required lengths and prompts per length.
  std::vector<int64_t> ruler_lengths;
  int per_length = 0;
  // AgentWrite with the capped model: the ruler's prompts, plus one sample piece per target here
  // (the first is linked from the report as write.md).
  std::vector<int64_t> write_targets;

  nlohmann::json to_json() const;
};

DemoScale full_scale();
DemoScale quick_scale();

}  // namespace lw::demo
