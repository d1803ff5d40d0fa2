#pragma once
// LongBench-Write scores from predictions (and, optionally, judgements):
//   S_l = mean over prompts of text::length_score(required, produced)
//   per dimension: (mean score - 1) * 25, on 0..100;   S_q = mean of the six;   S = (S_l + S_q) / 2
// broken down by required-length bucket and by "type", with every missing or failed item listed.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/judge_parse.hpp"
#include "eval/segments.hpp"
#include "eval/stability.hpp"
#include "io/jsonl.hpp"

namespace lw::eval {

struct LengthBucket {
  std::string name;  // "[500, 2000)"
  int64_t lo = 0;
  int64_t hi = -1;  // exclusive; -1: no upper bound
};
// [0,500), [500,2000), [2000,4000), [4000,inf).
const std::vector<LengthBucket>& length_buckets();
int bucket_index(int64_t required);

struct ItemScore {
  std::string where;  // "pred.jsonl:17"
  std::string prompt, type;
  int64_t required = 0, produced = 0;
  double s_l = 0;
  bool truncated = false;  // finish_reason == "length"
  bool judged = false;
  std::array<int, kNumDimensions> scores{};
};

struct GroupStats {
  std::string name;
  int64_t n = 0, truncated = 0, empty = 0, judged = 0;
  std::optional<double> s_l, s_q, s;  // s_l absent only for an empty group
  std::array<std::optional<double>, kNumDimensions> dims{};  // (mean - 1) * 25
  double mean_required = 0, mean_produced = 0;
};

struct Problem {
  std::string where;  // file:line
  std::string prompt;
  std::string reason;
};

struct ScoreReport {
  std::string name;  // the model's name in tables
  std::string pred_path, judge_path, data_path;
  bool has_judge = false;
  GroupStats overall;
  std::vector<GroupStats> buckets;  // always the four buckets, in order
  std::vector<GroupStats> types;    // sorted by name
  std::vector<ItemScore> items;     // in prediction-file order
  std::vector<Problem> missing_predictions;  // prompts of --data with no prediction
  std::vector<Problem> judge_failed;          // the judge never gave a usable answer
  std::vector<Problem> judge_missing;         // no judgement at all (judge not run for them)
  int64_t judge_unmatched = 0;                // judgements matching no prediction (stale)
  // Length stability, when some prompt has several samples (bench predict --samples N).
  std::optional<StabilityReport> stability;
  // Quality by position, from `bench judge --segments K` (bench score --segment-judge).
  std::optional<PositionStats> positions;
};

// preds: prediction lines ("prompt", "length", "response" or "response_length", optional "type",
// "finish_reason"). judges and data may be null. InputError naming file:line on a bad field.
ScoreReport compute_scores(const std::vector<io::Record>& preds, const std::vector<io::Record>* judges,
                           const std::vector<io::Record>* data);

// Mean and summary of a set of items (exposed for tests and the ruler).
GroupStats summarize(const std::string& name, const std::vector<const ItemScore*>& items);

}  // namespace lw::eval
