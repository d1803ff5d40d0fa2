// longwriter agentwrite pairs --in instructions.jsonl --out pairs.jsonl: step-level preference
// pairs (K candidates per plan step, judged; best vs worst), and with --whole draft-vs-refined
// pairs, checkpointed in SQLite so a rerun resumes exactly.
#include <filesystem>
#include <memory>

#include "agentwrite/pairs.hpp"
#include "agentwrite/refine.hpp"
#include "common/backend.hpp"
#include "common/registry.hpp"
#include "common/sampling_options.hpp"
#include "eval/judge_prompt.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

namespace aw = lw::agentwrite;

struct Options {
  std::string in, out, checkpoint, trl_out, field = "prompt";
  std::string plan_template, write_template, judge_template, whole_judge_template, critique_template,
      revise_template;  // files
  bool fresh = false;
  bool no_length_control = false, no_paragraph_cap = false;
  lw::apps::SamplingOptions sampling;
  aw::PairsConfig cfg;
  lw::apps::BackendOptions backend, judge;
};

// The text of a template file, checked by `validate`; "" when no file is given.
template <typename Validate>
std::string template_file(const std::string& path, Validate validate) {
  if (path.empty()) return {};
  std::string t = lw::io::read_file(path);
  validate(t, path);
  return t;
}

int run(Options& o) {
  aw::PairsConfig cfg = o.cfg;
  cfg.plan_template = template_file(o.plan_template, aw::validate_plan_template);
  cfg.write_template = template_file(o.write_template, aw::validate_write_template);
  cfg.judge_template = template_file(o.judge_template, aw::validate_step_judge_template);
  cfg.whole_judge_template = template_file(
      o.whole_judge_template,
      [](const std::string& t, const std::string& w) { lw::eval::validate_judge_template(t, w); });
  cfg.critique_template = template_file(o.critique_template, aw::validate_critique_template);
  cfg.revise_template = template_file(o.revise_template, aw::validate_revise_template);
  cfg.length_control = !o.no_length_control;
  cfg.cap.enabled = !o.no_paragraph_cap;
  cfg.extras = lw::apps::sampling_extras(o.sampling);
  cfg.concurrency = std::max(1, o.backend.concurrency);
  if (o.checkpoint.empty()) o.checkpoint = o.out + ".sqlite";

  std::vector<lw::io::Record> records = lw::io::read_jsonl(o.in);
  std::vector<aw::PairsItem> items;
  for (const auto& r : records) {
    if (!r.value.is_object()) lw::fail_input("{}: expected a JSON object", r.where());
    aw::PairsItem it;
    it.prompt = r.get_string(o.field);
    if (it.prompt.empty()) lw::fail_input("{}: field \"{}\" is empty", r.where(), o.field);
    it.target_words = r.get_int_or("target_words", 0);
    items.push_back(std::move(it));
  }
  if (o.fresh)
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(o.checkpoint + suffix);

  auto writer = lw::apps::make_backend(o.backend);
  std::unique_ptr<lw::net::ChatBackend> judge_backend;
  if (!o.judge.base_url.empty() || !o.judge.model.empty())
    judge_backend = lw::apps::make_backend(o.judge, "judge-");
  aw::Store store(o.checkpoint);
  lw::log::info(
      "agentwrite pairs: {} instructions, {} candidates per step, {} requests in flight, checkpoint {}",
      items.size(), cfg.candidates, cfg.concurrency, o.checkpoint);
  aw::PairsStats stats;
  aw::PairsResult res =
      aw::run_pairs(*writer, judge_backend ? *judge_backend : *writer, store, items, cfg, &stats);

  lw::io::JsonlWriter out(o.out);
  std::unique_ptr<lw::io::JsonlWriter> trl;
  if (!o.trl_out.empty()) trl = std::make_unique<lw::io::JsonlWriter>(o.trl_out);
  for (const auto& p : res.pairs) {
    out.write(p);
    if (trl) trl->write(aw::trl_dpo_line(p));
  }
  out.commit();
  if (trl) trl->commit();
  lw::log::info(
      "agentwrite pairs: {} step pairs, {} whole pairs -> {}{}; {} steps without a pair (margin < {} or "
      "too few scored)",
      stats.step_pairs, stats.whole_pairs, o.out, trl ? " (TRL: " + o.trl_out + ")" : std::string(),
      stats.skipped_steps, cfg.min_margin);
  lw::log::info("requests this run: {}; reused from checkpoint: {}", stats.requests, stats.reused);
  if (!res.failures.empty()) {
    for (const auto& f : res.failures) lw::log::warn("{}", f);
    lw::fail("{} instruction(s) failed; rerun the same command to retry them — finished requests are kept",
             res.failures.size());
  }
  return 0;
}

const bool registered = lw::apps::register_command("agentwrite.pairs", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* parent = lw::apps::parent_command(root, "agentwrite", "AgentWrite");
  auto* cmd = parent->add_subcommand(
      "pairs",
      "Step-level preference pairs for DPO (LongDPO style): plan each instruction, then for every step\n"
      "sample --candidates continuations of the writer's prompt (instruction, plan, text so far), have\n"
      "a judge score each on the step (the six LongBench-Write scores, averaged), and pair the best\n"
      "(chosen) with the worst (rejected) when their scores differ by at least --min-margin; the text\n"
      "goes on with the chosen one. Each line holds the shared prefix (the exact chat messages the\n"
      "writer was sent), chosen, rejected, scores and the judge's reasons. --whole adds a pair per\n"
      "instruction of the finished draft against its refined version (critique + revision). Every\n"
      "request is committed to a SQLite checkpoint (OUT.sqlite) at once: rerunning resumes exactly, and\n"
      "with the same --seed the pairs are identical at any --concurrency.\n\n"
      "Example:\n"
      "  longwriter agentwrite pairs --in instructions.jsonl --out pairs.jsonl --candidates 4 \\\n"
      "      --temperature 0.9 --seed 7 --trl-out pairs.trl.jsonl --base-url http://127.0.0.1:8000/v1 "
      "--model M");
  cmd->add_option("--in", o->in,
                  "Instructions, JSONL with a \"prompt\" field (optional integer target_words)")
      ->required();
  cmd->add_option("--out", o->out, "Pairs, JSONL (written atomically at the end)")->required();
  cmd->add_option("--trl-out", o->trl_out,
                  "Also write the pairs in TRL's DPO conversational form {prompt, chosen, rejected}");
  cmd->add_option("--field", o->field, "Input field holding the instruction")->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "SQLite checkpoint file (default: OUT.sqlite)");
  cmd->add_flag("--fresh", o->fresh, "Delete the checkpoint first and start over");
  cmd->add_option("--candidates", o->cfg.candidates, "Candidates sampled per step")
      ->capture_default_str()
      ->check(CLI::Range(2, 32));
  cmd->add_option("--min-margin", o->cfg.min_margin,
                  "Smallest difference of the mean judge scores (1..5) that makes a pair (not part of the\n"
                  "checkpoint's settings: a rerun with another margin asks nothing again)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 4.0));
  cmd->add_flag("--whole", o->cfg.whole, "Also make a draft-vs-refined pair of each finished text");
  cmd->add_option("--seed", o->cfg.seed,
                  "Base of every request's seed (derived from the instruction, step and candidate)")
      ->capture_default_str();
  cmd->add_option("--plan-template", o->plan_template, "Plan prompt template ($INST$)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--write-template", o->write_template,
                  "Write prompt template ($INST$ $PLAN$ $TEXT$ $STEP$)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--judge-template", o->judge_template,
                  "Step judge criteria template: $RESPONSE$ (the candidate) is required; $INST$, $PLAN$,\n"
                  "$TEXT$, $STEP$ and $WORDS$ may be used. The judge must answer with the six scores as\n"
                  "`bench judge` expects (default: built in)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--whole-judge-template", o->whole_judge_template,
                  "Judge template of --whole pairs ($INST$, $RESPONSE$; default: bench judge's)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--critique-template", o->critique_template,
                  "Critique template of --whole (see agentwrite --refine)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--revise-template", o->revise_template,
                  "Revise template of --whole (see agentwrite --refine)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--max-plan-attempts", o->cfg.max_plan_attempts, "Plans re-requested up to this many times")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--max-steps", o->cfg.limits.max_steps, "Plans with more steps than this are rejected")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--judge-attempts", o->cfg.judge_attempts,
                  "Judge answers asked for per candidate until one parses")
      ->capture_default_str()
      ->check(CLI::Range(1, 10));
  cmd->add_option("--judge-temperature", o->cfg.judge_temperature,
                  "Judge sampling temperature (default: the server's)")
      ->check(CLI::Range(0.0, 2.0));
  cmd->add_option("--judge-max-tokens", o->cfg.judge_max_tokens, "Token limit of a judge answer")
      ->capture_default_str();
  cmd->add_option("--step-retries", o->cfg.step_retries,
                  "A request that still fails after the client's retries is asked again this many times")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_flag("--no-length-control", o->no_length_control, "Keep the plan's budgets as they are");
  cmd->add_flag("--no-paragraph-cap", o->no_paragraph_cap,
                "Send no token cap with candidates (by default capped at their budget, as agentwrite does)");
  cmd->add_option("--paragraph-cap-margin", o->cfg.cap.margin, "How far above its budget a candidate may run")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  lw::apps::add_temperature_top_p(cmd, o->cfg.temperature, o->cfg.top_p);
  lw::apps::add_sampling_options(cmd, o->sampling);
  cmd->add_option("--max-tokens", o->cfg.max_tokens,
                  "Token limit per writer request (default: the server's)");
  lw::apps::add_backend_options(cmd, o->backend);
  lw::apps::add_backend_options(cmd, o->judge, "judge-");
  lw::apps::set_action(cmd, [o] { return run(*o); });
});

}  // namespace
