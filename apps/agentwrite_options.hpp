#pragma once
// Options shared by `longwriter write` and `longwriter agentwrite` (plan/write templates, parallel
// mode, length control, sampling, refine). Header-only: used by apps/write.cpp and apps/agentwrite.cpp.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "agentwrite/pipeline.hpp"
#include "agentwrite/prompts.hpp"
#include "common/sampling_options.hpp"
#include "io/file.hpp"

namespace lw::apps {

struct AgentWriteOptions {
  std::string plan_template_file, write_template_file;
  std::string plan_template, write_template;  // loaded text ("" = defaults)
  bool parallel = false;
  bool no_length_control = false;
  int max_plan_attempts = 3;
  int max_steps = 50;
  bool trim_plan = false;
  int step_retries = 1;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> max_tokens;
  std::optional<int64_t> seed;
  SamplingOptions sampling;
  bool no_paragraph_cap = false;
  double cap_margin = 0.5;
  bool refine = false;
  std::string refine_mode = "paragraph";
  std::string critique_template_file, revise_template_file;
  std::string critique_template, revise_template;  // loaded text ("" = defaults)
};

// --plan-template and --write-template alone (`longwriter serve` takes them for its /v1/write jobs;
// load_templates reads them).
inline void add_template_options(CLI::App* cmd, AgentWriteOptions& o) {
  cmd->add_option("--plan-template", o.plan_template_file,
                  "Plan prompt template file; $INST$ is replaced by the instruction (default: built in;\n"
                  "the reference prompts/plan.txt works as is)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--write-template", o.write_template_file,
                  "Write prompt template file; $INST$, $PLAN$, $TEXT$ (text so far) and $STEP$ (the step\n"
                  "to write) are replaced (default: built in; the reference prompts/write.txt works as is)")
      ->check(CLI::ExistingFile);
}

inline void add_agentwrite_options(CLI::App* cmd, AgentWriteOptions& o) {
  cmd->add_flag("--parallel", o.parallel,
                "Write every paragraph from the plan alone, all at once (the paper's parallel variant:\n"
                "faster, less coherent; no length control)");
  cmd->add_flag("--no-length-control", o.no_length_control,
                "Keep the plan's budgets as they are. By default, when a paragraph over- or undershoots,\n"
                "the remaining budgets are rescaled so the total lands near the target");
  add_template_options(cmd, o);
  cmd->add_option("--max-plan-attempts", o.max_plan_attempts,
                  "Plans that are empty or have too many steps are re-requested up to this many times in all")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--max-steps", o.max_steps, "Plans with more steps than this are rejected")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_flag(
      "--trim-plan", o.trim_plan,
      "When the instruction names a length, cut a plan whose word counts overrun it after the step\n"
      "where the running total reaches the target (instead of writing all of it)");
  cmd->add_option("--step-retries", o.step_retries,
                  "A request that still fails after the client's own retries is tried again this many times\n"
                  "before its instruction is marked failed")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  add_temperature_top_p(cmd, o.temperature, o.top_p);
  add_sampling_options(cmd, o.sampling);
  cmd->add_option("--max-tokens", o.max_tokens, "Token limit per request (default: the server's)");
  cmd->add_option(
      "--seed", o.seed,
      "Sampling seed: request k of instruction i (k = 0 its plan, k = s + 1 paragraph s) asks for\n"
      "SEED + 1000*i + k, so a sampled run repeats in any order (default: none; the server's own)");
  cmd->add_flag("--no-paragraph-cap", o.no_paragraph_cap,
                "Each paragraph request is capped by default at its word budget in tokens (counted with a\n"
                "local model's tokenizer, else 1.4 tokens per word) plus --paragraph-cap-margin, and a\n"
                "paragraph cut by the cap ends at its last full sentence. This flag sends no cap (only\n"
                "--max-tokens, if given)");
  cmd->add_option(
         "--paragraph-cap-margin", o.cap_margin,
         "How far above its budget a paragraph may run before the cap cuts it (0.5: 50% more tokens)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_flag("--refine", o.refine,
                "Refine as SuperWriter does: after each paragraph (or with --refine-mode whole, after the\n"
                "whole text) ask for a critique against the plan step, its word budget and the text so far,\n"
                "then for a revision; the revision replaces the draft (draft, critique and revision are all\n"
                "kept in the checkpoint and the output). Revisions get the paragraph cap of their budget");
  cmd->add_option("--refine-mode", o.refine_mode,
                  "paragraph (refine each paragraph) or whole (the finished text)")
      ->capture_default_str()
      ->check(CLI::IsMember({"paragraph", "whole"}));
  cmd->add_option("--critique-template", o.critique_template_file,
                  "Critique prompt template file; $DRAFT$ is required, $INST$, $PLAN$, $TEXT$ (the text\n"
                  "before the draft), $STEP$ (its plan line and budget) and $WORDS$ (the draft's words) may\n"
                  "be used (default: built in)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--revise-template", o.revise_template_file,
                  "Revise prompt template file; like --critique-template, and $CRITIQUE$ is required too")
      ->check(CLI::ExistingFile);
}

inline void load_templates(AgentWriteOptions& o) {
  if (!o.plan_template_file.empty()) {
    o.plan_template = io::read_file(o.plan_template_file);
    agentwrite::validate_plan_template(o.plan_template, o.plan_template_file);
  }
  if (!o.write_template_file.empty()) {
    o.write_template = io::read_file(o.write_template_file);
    agentwrite::validate_write_template(o.write_template, o.write_template_file);
  }
  if (!o.critique_template_file.empty()) {
    o.critique_template = io::read_file(o.critique_template_file);
    agentwrite::validate_critique_template(o.critique_template, o.critique_template_file);
  }
  if (!o.revise_template_file.empty()) {
    o.revise_template = io::read_file(o.revise_template_file);
    agentwrite::validate_revise_template(o.revise_template, o.revise_template_file);
  }
}

inline agentwrite::PipelineConfig pipeline_config(const AgentWriteOptions& o) {
  agentwrite::PipelineConfig c;
  c.plan_template = o.plan_template;
  c.write_template = o.write_template;
  c.parallel = o.parallel;
  c.length_control = !o.no_length_control;
  c.max_plan_attempts = o.max_plan_attempts;
  c.limits.max_steps = o.max_steps;
  c.limits.trim_to_target = o.trim_plan;
  c.step_retries = o.step_retries;
  c.temperature = o.temperature;
  c.top_p = o.top_p;
  c.max_tokens = o.max_tokens;
  c.seed = o.seed;
  c.extras = sampling_extras(o.sampling);
  c.cap.enabled = !o.no_paragraph_cap;
  c.cap.margin = o.cap_margin;
  c.refine = o.refine ? agentwrite::parse_refine_mode(o.refine_mode) : agentwrite::RefineMode::off;
  c.critique_template = o.critique_template;
  c.revise_template = o.revise_template;
  return c;
}

}  // namespace lw::apps
