#pragma once
// bench judge: asks an LLM judge to score each prediction on the six LongBench-Write dimensions.
// Each output line keeps every field of the prediction and adds:
//   "scores": {"Relevance": 4, ...}, "analysis", "judge_raw" (the accepted answer, verbatim),
//   "judge_attempts", and "judge_rejected": [{"raw", "error"}] for answers that were asked again.
// When every attempt is malformed the line has "judge_error" and "judge_rejected" instead of
// "scores"; such lines are reported by `bench score` and retried by a rerun.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/pipeline.hpp"
#include "io/jsonl.hpp"
#include "net/chat.hpp"

namespace lw::eval {

struct JudgeOptions {
  int concurrency = 8;
  int max_attempts = 3;       // answers asked for per prediction before giving up
  std::string template_text;  // empty: the default wording
  std::optional<double> temperature = 0.5;
  int64_t max_tokens = 2048;
  int64_t limit = -1;
  // > 0: judge each response in this many consecutive parts (eval/segments.hpp) instead of whole;
  // lines then get "segment_scores" (and "segment_words") instead of "scores".
  int segments = 0;
  size_t context_chars = 6000;  // text before a part shown as its context
};

// Reads predictions; InputError naming file:line when "prompt" or "response" is not a string.
std::vector<io::Record> load_predictions(const std::filesystem::path& path);

PipelineSummary run_judge(net::ChatBackend& backend, const std::vector<io::Record>& preds,
                          const std::filesystem::path& out, const JudgeOptions& opts);

// True for a judge line that holds valid scores.
bool is_judged(const io::Json& line);

}  // namespace lw::eval
