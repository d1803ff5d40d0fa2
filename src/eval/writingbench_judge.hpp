#pragma once
// bench writingbench judge: every criterion of a query's checklist is scored 1..10 with a reason
// by a critic model, one request per (response, criterion), as the benchmark's evaluator does.
// Output lines follow the benchmark's score-file format, so its calculate_scores.py reads them:
//   {"index": 7, "scores": {"<criterion name>": [{"score": 8, "reason": "..."}], ...}, ...}
// and keep every field of the prediction, plus "judge_raw" ({criterion: accepted reply,
// verbatim}), "judge_attempts" ({criterion: replies asked for}) and "judge_rejected"
// ([{"criterion", "raw", "error"}]). When a criterion gets no usable reply in --attempts tries the
// line has "judge_error" instead of "scores"; `writingbench score` lists it and a rerun judges the
// query again. Resumable per query: a rerun skips the (index, response) pairs already scored.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/pipeline.hpp"
#include "eval/writingbench_data.hpp"
#include "io/jsonl.hpp"
#include "net/chat.hpp"

namespace lw::eval {

struct CriticOptions {
  int concurrency = 8;                      // queries judged at once (their criteria one after another)
  int max_attempts = 3;                     // replies asked for per criterion before giving up
  std::string template_text;                // empty: default_critic_template()
  std::string system;                       // empty: default_critic_system(); "-": none
  std::optional<double> temperature = 1.0;  // the benchmark's scoring settings
  std::optional<double> top_p = 0.95;
  int64_t max_tokens = 2048;
  int64_t limit = -1;
};

// Reads predictions ({"index": int, "response": string, ...}, as written by `writingbench
// predict` or by the benchmark's generate_response.py). InputError naming file:line:field.
std::vector<io::Record> load_wb_predictions(const std::filesystem::path& path);

// Judges the predictions not yet scored in `out`. Predictions whose index is not in `queries`
// are an InputError (before any request).
PipelineSummary run_writingbench_judge(net::ChatBackend& backend, const std::vector<io::Record>& preds,
                                       const std::vector<WbQuery>& queries, const std::filesystem::path& out,
                                       const CriticOptions& opts);

// True for a score line whose "scores" is a non-empty object of non-empty lists of
// {"score": 1..10, "reason": string}.
bool is_wb_scored(const io::Json& line);

}  // namespace lw::eval
