#pragma once
// The sizes of the miniature LongWriter experiment: the full demo (about 15 minutes on 2 cores) and
// --quick (about 2 minutes, run by the test suite).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::demo {

struct DemoScale {
  std::string name;  // "full" or "quick"
  // Corpus: the capped set has outputs in [min_words, short_cap]; the long set adds outputs in
  // (short_cap, long_cap].
  int64_t min_words = 0, short_cap = 0, long_cap = 0;
  int64_t n_short = 0, n_long = 0;
  int64_t long_round_to = 10;  // long targets are multiples of this
  int64_t n_plan = 0;  // AgentWrite-style plan and paragraph examples in the long set
  int32_t vocab_size = 0;
  // Model and training.
  int hidden = 0, layers = 0, heads = 0, kv_heads = 0, ffn = 0;
  int64_t max_len = 0;  // pack length = context
  int epochs = 0;
  int64_t packs_per_step = 0;
  double lr = 0;
  // Ruler: required lengths and prompts per length.
  std::vector<int64_t> ruler_lengths;
  int per_length = 0;
  // AgentWrite stage target.
  int64_t write_target = 0;

  nlohmann::json to_json() const;
};

DemoScale full_scale();
DemoScale quick_scale();

}  // namespace lw::demo
