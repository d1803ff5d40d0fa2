#pragma once
// The demo's two SFT sets, written as chat JSONL ({"messages": [...]}) for the packer:
//   both:   requests for min_words..long_cap words, and AgentWrite-style plan and paragraph
//           examples (short outputs: plans and paragraphs within the cap);
//   capped: answers of at most scale.short_cap words (requests above it get short_cap words);
//   long:   every request answered in full, up to scale.long_cap words.
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
// of the long set (its words include every word of the capped set) for tokenizer training.
SftSets write_sft_sets(const DemoScale& scale, uint64_t seed, const std::filesystem::path& dir,
                       std::vector<std::string>* all_texts);

}  // namespace lw::demo
