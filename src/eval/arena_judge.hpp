#pragma once
// bench arena, the judging half: for every pair of models and every prompt both answered, the
// judge sees the two responses twice, once in each order (so a judge that favours a position
// cancels out), and names the better one: "A", "B" or "tie". One output line per (ordered pair,
// prompt), appended and resumable:
//   {"prompt", "first", "second" (model names: A and B), "winner": "first"|"second"|"tie",
//    "judge_raw", "judge_attempts", "judge_rejected"} or "judge_error" instead of "winner".
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/pipeline.hpp"
#include "io/jsonl.hpp"
#include "net/chat.hpp"

namespace lw::eval {

struct ArenaModel {
  std::string name;
  std::vector<io::Record> preds;  // "prompt", "response"
};

struct ArenaJudgeOptions {
  int concurrency = 8;
  int max_attempts = 3;
  std::string template_text;  // empty: default_arena_template()
  std::optional<double> temperature = 0.0;
  int64_t max_tokens = 1024;
  int64_t limit = -1;  // only the first N shared prompts
};

// $INST$, $RESPONSE_A$, $RESPONSE_B$.
const std::string& default_arena_template();
void validate_arena_template(std::string_view tmpl, const std::string& origin);
std::string fill_arena_template(std::string_view tmpl, std::string_view inst, std::string_view a,
                                std::string_view b);

// The verdict of a reply: the first JSON object with a "winner" of "A", "B" or "tie" (any case;
// "draw" and "equal" count as a tie), else a last line "[[A]]", "[[B]]" or "[[C]]" (tie).
// Returns "A", "B", "tie", or "" with `error` set.
std::string parse_arena_verdict(std::string_view reply, std::string* error);

// Prompts answered by every model, in the first model's order (first occurrence of each prompt).
std::vector<std::string> shared_prompts(const std::vector<ArenaModel>& models);

PipelineSummary run_arena_judge(net::ChatBackend& backend, const std::vector<ArenaModel>& models,
                                const std::filesystem::path& out, const ArenaJudgeOptions& opts);

}  // namespace lw::eval
