#pragma once
// AgentWrite plans: parsing the model's plan text into steps with word budgets, and formatting
// steps back into prompt lines.
//
// Accepted (one step per line, blank lines and preamble ignored):
//   Paragraph 1 - Main Point: ... - Word Count: 400 words        (the reference format)
//   段落1 - 主要内容：... - 字数要求：800字                          (Chinese variants: 第1段, 字数, 约800字)
//   - **Paragraph 2** - Main Point: ... - Word Count: 1,000 words (markdown bullets, bold, headings)
//   3. Main Point: ... Word count: about 300-400 words             (numbered lists, ranges → midpoint)
// Numbering drift (1, 2, 2, 5) is renumbered in order and noted. A line without a step label that
// follows a step continues it (a wrapped main point or a word count on its own line). Steps with no
// word count share out the instruction's target (or a default) evenly, and the plan's notes say so.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lw::agentwrite {

struct PlanStep {
  std::string main_point;    // what the paragraph covers (labels, bullets and the word count removed)
  int64_t words = 0;         // word budget (> 0 after parsing)
  bool words_given = false;  // false: assigned by the parser
};

struct Plan {
  std::vector<PlanStep> steps;
  bool chinese = false;            // the plan is written in Chinese (prompt lines use 段落/字)
  std::vector<std::string> notes;  // what the parser had to fix, for logs and reports
  int64_t total_words() const;
};

struct PlanLimits {
  int max_steps = 50;                // more steps than this rejects the plan (the paper drops such plans)
  int64_t default_step_words = 500;  // budget per step when neither plan nor instruction gives one
  // With an explicit target: drop the steps after the first point where the given budgets reach the
  // target (a plan that overruns its length, typical of small models, is cut rather than rejected).
  bool trim_to_target = false;
};

struct PlanParse {
  Plan plan;
  std::string rejection;  // non-empty: the plan is unusable and why ("no steps", "63 steps > 50")
  bool ok() const { return rejection.empty(); }
};

// Parses a plan. target_words is the instruction's explicit length (0 if none); it is shared out
// among steps that lack a word count.
PlanParse parse_plan(std::string_view text, int64_t target_words, const PlanLimits& limits = {});

// One step as a prompt line with the given budget:
//   "Paragraph 3 - Main Point: ... - Word Count: 640 words" or "段落3 - 主要内容：... - 字数要求：640字".
std::string format_step(const Plan& plan, size_t index, int64_t words);
// The whole plan, one line per step, with the given budgets (budgets.size() == steps.size()).
std::string format_plan(const Plan& plan, const std::vector<int64_t>& budgets);

}  // namespace lw::agentwrite
