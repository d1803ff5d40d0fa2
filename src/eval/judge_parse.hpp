#pragma once
// Robust extraction of the LLM judge's scores from its free-form answer.
//
// The judge is asked for one JSON object with six integer scores 1..5. Real judges wrap it in a
// ```json fence, add prose before or after (in any language), echo the format first, quote the
// numbers, use full-width punctuation or leave a trailing comma. parse_judge_output() accepts all
// of that and rejects what cannot be trusted (a score outside 1..5, a missing dimension, two
// objects that disagree), so the caller can ask again.
#include <array>
#include <string>
#include <string_view>

namespace lw::eval {

inline constexpr int kNumDimensions = 6;
// The six quality dimensions of LongBench-Write, in report order.
inline constexpr std::array<std::string_view, kNumDimensions> kDimensions = {
    "Relevance", "Accuracy", "Coherence", "Clarity", "Breadth and Depth", "Reading Experience"};

struct JudgeParse {
  bool ok = false;
  std::array<int, kNumDimensions> scores{};  // 1..5 each when ok
  std::string analysis;  // the "Analysis" text when the judge gave one
  std::string method;    // "json" (a JSON object, possibly repaired) or "text" ("Relevance: 4" lines)
  std::string error;     // why the answer was rejected (when !ok)
};

JudgeParse parse_judge_output(std::string_view text);

// "Breadth and Depth" -> "breadthanddepth"; "breadth_&_depth" -> "breadthanddepth". Used to match
// keys written in another case or with underscores.
std::string normalize_dimension_key(std::string_view key);

// The index of the dimension a key names, or -1.
int dimension_index(std::string_view key);

}  // namespace lw::eval
