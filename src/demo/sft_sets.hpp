#pragma once
// The demo's two SFT sets, written as chat JSONL ({"messages": [...]}) for the packer:
//   capped: outputs of at most scale.short_cap words;
//   long:   the capped set plus outputs up to scale.long_cap words, plus AgentWrite-style plan and
//           paragraph examples (so the long model can also drive `write`).
#include <filesystem>
#include <string>
#include <vector>

#include "demo/corpus.hpp"
#include "demo/scale.hpp"

namespace lw::demo {

// The plan and write templates the demo's AgentWrite stage uses; the long set teaches the model
// to answer them (plan lines in the reference format; one paragraph per step).
const std::string& demo_plan_template();   // "Plan: $INST$"
const std::string& demo_write_template();  // "$STEP$"

struct SftSets {
  int64_t capped_count = 0, long_count = 0;
  int64_t capped_max_words = 0, long_max_words = 0;
};

// Generates both sets and writes DIR/capped.jsonl and DIR/long.jsonl atomically. Returns the texts
// of the long set (a superset of the capped set) for tokenizer training.
SftSets write_sft_sets(const DemoScale& scale, uint64_t seed, const std::filesystem::path& dir,
                       std::vector<std::string>* all_texts);

}  // namespace lw::demo
