#pragma once
// Explicit length requests in instructions: "a 5000-word essay", "5,000 to 8,000 words", "10k words",
// "ten thousand words", "5000字", "一万字", "1.5万字". Used by `agentwrite select` (keep long-output
// instructions) and by the pipeline (the target a plan's budgets are scaled to).
#include <cstdint>
#include <string_view>
#include <vector>

namespace lw::agentwrite {

struct LengthMention {
  int64_t words = 0;     // the requested length; the midpoint for a range ("3000-5000 words" → 4000)
  size_t begin = 0;      // byte span of the mention in the instruction
  size_t end = 0;
  bool per_item = false; // followed by "each" / "per ..." / preceded by 每: not a total
};

// Every length mention in the text, in order.
std::vector<LengthMention> find_length_mentions(std::string_view text);

// The instruction's explicit total length request: the largest mention that is not per item;
// 0 when there is none.
int64_t explicit_target_words(std::string_view text);

// Parses a Chinese numeral such as "一万", "两千五百", "3万", "1.5万", "十二"; -1 if it is not one.
int64_t parse_chinese_number(std::u32string_view s);

}  // namespace lw::agentwrite
