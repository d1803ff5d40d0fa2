#pragma once
// Step-level preference pairs (after LongDPO): plan each instruction, then for every step sample K
// candidate continuations of the same prompt (the writer's chat messages: instruction, plan, text
// so far), score each with a judge on that step, and keep the best as chosen and the worst as
// rejected when their scores differ by at least min_margin; the text continues with the chosen one.
// With `whole`, the finished draft is also refined (critique + revision, agentwrite/refine.hpp) and
// draft and revision are judged as whole answers: one more pair (SuperWriter style).
//
// Every request (plans in table plans; candidates, judge answers, critiques and revisions in table
// requests) is committed to the Store as it arrives, and a rerun rebuilds everything from it, so a
// kill -9 loses only the requests in flight. Every request's seed is derived from the run's seed
// and its place (see PairsConfig::seed), never from the order it was sent in, so two runs at any
// concurrency ask the same requests and write the same pairs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agentwrite/plan.hpp"
#include "agentwrite/prompts.hpp"
#include "agentwrite/store.hpp"
#include "net/chat.hpp"

namespace lw::agentwrite {

struct PairsConfig {
  std::string model;
  std::string plan_template, write_template;       // empty: the defaults (agentwrite/prompts.hpp)
  std::string judge_template;                      // a step's criteria; empty: default_step_judge_template()
  std::string whole_judge_template;                // whole answers; empty: eval::default_judge_template()
  std::string critique_template, revise_template;  // --whole; empty: agentwrite/refine.hpp's defaults
  int candidates = 4;                              // K per step (2..32)
  double min_margin = 0.5;  // of the mean judge scores (1..5) between chosen and rejected
  bool whole = false;
  bool length_control = true;
  int concurrency = 8;  // requests in flight, across instructions and candidates
  int max_plan_attempts = 3;
  int judge_attempts = 3;  // judge answers asked for per candidate until one parses
  int step_retries = 1;    // a failed request is asked again this many times, then the instruction fails
  PlanLimits limits;
  std::optional<double> temperature;  // of the writer (candidates, plans, revisions)
  std::optional<double> top_p;
  net::SamplingExtras extras;
  std::optional<int64_t> max_tokens;
  std::optional<double> judge_temperature;
  int64_t judge_max_tokens = 1024;
  // Request seeds, for instruction n: its plan (attempt a) seed + 1000000·n + a; candidate j of step
  // i seed + 1000000·n + 1000·(i+1) + j, its judge (attempt a) seed + 1000000·n + 1000·(i+1) + 100 +
  // 10·j + a; with
  // whole, after S steps: critique + 1000·(S+1), revision + 1, judges of draft and revision
  // + 100 + a and + 110 + a.
  int64_t seed = 1;
  CapOptions cap;  // candidates and revisions are capped at their budget like agentwrite paragraphs
};

struct PairsItem {
  std::string prompt;
  int64_t target_words = 0;  // 0: the instruction's own request, else the plan's total
};

struct PairsStats {
  int64_t requests = 0;  // asked in this run (retries included)
  int64_t reused = 0;    // finished requests found in the store
  int64_t failed_items = 0;
  int64_t step_pairs = 0, whole_pairs = 0;
  int64_t skipped_steps = 0;  // margin below min_margin, or fewer than two candidates scored
};

struct PairsResult {
  std::vector<nlohmann::json> pairs;  // in input order, then step order, the whole pair last
  std::vector<std::string> failures;  // "instruction N: why", for instructions that failed
};

// The default step judge wording: $INST$, $PLAN$, $TEXT$ (the text before the part), $STEP$ (its
// plan line and budget), $WORDS$ (the candidate's words) and $RESPONSE$ (the candidate); the judge
// answers with the six LongBench-Write scores as JSON (parsed by eval::parse_judge_output).
const std::string& default_step_judge_template();
// InputError naming `what` when $RESPONSE$ is missing.
void validate_step_judge_template(const std::string& tmpl, const std::string& what);

// The settings that shape requests, as recorded in the store (min_margin is not one: a rerun with
// another margin reuses every request).
std::string pairs_fingerprint(const PairsConfig& c);

// Runs (or resumes) pair construction. Backend failures fail only their instruction; store damage
// or unusable templates throw.
PairsResult run_pairs(net::ChatBackend& writer, net::ChatBackend& judge, Store& store,
                      const std::vector<PairsItem>& items, const PairsConfig& config,
                      PairsStats* stats = nullptr);

// TRL's DPO conversational form of a pair line: {"prompt": the prefix messages, "chosen":
// [{"role":"assistant","content":...}], "rejected": [...]}.
nlohmann::json trl_dpo_line(const nlohmann::json& pair);

}  // namespace lw::agentwrite
