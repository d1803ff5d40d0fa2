#pragma once
// Prompt templates and budgets for AgentWrite.
//
// Templates use the reference placeholders: the plan template needs $INST$ (the instruction); the
// write template needs $STEP$ (the current step line) and may use $INST$, $PLAN$ (the whole plan,
// one step per line) and $TEXT$ (the text written so far; empty in parallel mode). The reference
// prompts in shared/data/reference-prompts are accepted as they are.
#include <cstdint>
#include <string>
#include <vector>

#include "agentwrite/plan.hpp"

namespace lw::net {
class ChatBackend;
}  // namespace lw::net

namespace lw::agentwrite {

// Our own default wording. Both open with the same header and the instruction, and the write
// template puts the plan, then the text so far, then the step to write (with its current budget),
// so consecutive prompts share their leading tokens (prefix caches reuse them; docs/agentwrite.md).
const std::string& default_plan_template();
const std::string& default_write_template();

// Throws InputError naming `what` (a file or "plan template") if a required placeholder is missing.
void validate_plan_template(const std::string& tmpl, const std::string& what);
void validate_write_template(const std::string& tmpl, const std::string& what);

std::string render_plan_prompt(const std::string& tmpl, const std::string& instruction);
std::string render_write_prompt(const std::string& tmpl, const std::string& instruction, const std::string& plan,
                                const std::string& text_so_far, const std::string& step);

// Length control. Given the words written for the first written.size() steps, returns the budget
// of every step: finished steps keep their planned budget; the remaining ones are scaled by
//   s = clamp((target − written) / planned_remaining, 0.3, 3)
// so the total lands near `target` (the instruction's length, or the plan's total when it gives
// none). Scaled budgets are at least min(planned, 50) words. With control off, the plan as is.
struct BudgetOptions {
  bool length_control = true;
  double min_scale = 0.3;
  double max_scale = 3.0;
  int64_t floor_words = 50;
};
// The per-paragraph token cap: a paragraph budgeted at `budget_words` gets at most
//   ceil(budget_words × tokens_per_word × (1 + margin)) + extra_tokens
// tokens, tokens_per_word measured with the model's tokenizer (local models) or, when that is 0,
// default_tokens_per_word (an estimate for English on common BPE vocabularies).
struct CapOptions {
  bool enabled = true;
  double margin = 0.5;
  int64_t extra_tokens = 16;  // room for a subheading
  double default_tokens_per_word = 1.4;
};
int64_t paragraph_token_cap(int64_t budget_words, double tokens_per_word, const CapOptions& opts = {});
// Tokens per word of the text so far (or of the instruction when under 1000 bytes are written),
// counted with the backend's tokenizer on at most the last 16 KiB; 0 when the backend cannot count
// (paragraph_token_cap then estimates).
double measured_tokens_per_word(const net::ChatBackend& backend, const std::string& instruction,
                                const std::string& so_far);

std::vector<int64_t> step_budgets(const Plan& plan, const std::vector<int64_t>& written, int64_t target,
                                  const BudgetOptions& opts = {});

}  // namespace lw::agentwrite
