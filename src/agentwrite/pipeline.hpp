#pragma once
// The AgentWrite pipeline: plan, then write step by step, for one instruction or a whole dataset.
//
// Scheduling is per request across instructions: `concurrency` workers each take the ready request
// of the lowest-numbered instruction (its plan, or its next paragraph; in parallel mode every
// paragraph is ready once the plan is), so N requests stay in flight and one slow instruction
// never holds up the others. Every finished plan and paragraph goes to the Store before anything
// else happens, and the state of a rerun is rebuilt from it, so no finished step is requested twice.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agentwrite/plan.hpp"
#include "agentwrite/prompts.hpp"
#include "agentwrite/refine.hpp"
#include "agentwrite/store.hpp"
#include "net/chat.hpp"

namespace lw::agentwrite {

struct PipelineConfig {
  std::string model;                 // passed in each request (may be empty)
  std::string plan_template;         // empty: default_plan_template()
  std::string write_template;        // empty: default_write_template()
  bool parallel = false;             // write every paragraph from the plan alone
  bool length_control = true;        // rescale the remaining budgets (sequential mode)
  bool plan_only = false;            // stop after the plans
  int concurrency = 8;               // requests in flight
  int max_plan_attempts = 3;         // plans rejected (empty, too many steps) are re-requested up to this
  int step_retries = 1;              // a failed request is retried this many more times in the run
  double min_length_fraction = 0.5;  // results shorter than this × target are dropped
  PlanLimits limits;
  std::optional<double> temperature;
  std::optional<double> top_p;
  net::SamplingExtras extras;  // penalties, DRY, min_p, top_k, logit_bias (net/chat.hpp)
  std::optional<int64_t> max_tokens;  // per request
  // Sampling seed: request k of item i (k = 0 the plan, k = s + 1 paragraph s) asks for
  // seed + 1000·i + k (a re-plan adds 100000 per attempt), so a sampled run is reproducible
  // whatever the scheduling order.
  std::optional<int64_t> seed;
  // Each paragraph request's max_tokens comes from its word budget (see paragraph_token_cap; the
  // smaller of it and max_tokens), and a paragraph cut by it ends at its last full sentence.
  CapOptions cap;
  bool stream = false;  // ask the backend to stream (on_delta is called)
  // Refine (agentwrite/refine.hpp): after each paragraph, or after the whole text, a critique and a
  // revision request. Seeds (with --seed): the critique of step s asks for seed + 1000·i + 301 + s,
  // its revision seed + 1000·i + 601 + s (the whole text: s = -1). A revision's max_tokens comes from
  // its budget like a paragraph's (the whole text: the target), and a capped one ends at a full
  // sentence; the revised paragraph's words drive the length control of the steps after it.
  RefineMode refine = RefineMode::off;
  std::string critique_template;  // empty: default_critique_template()
  std::string revise_template;    // empty: default_revise_template()
};

struct WorkItem {
  std::string prompt;
  int64_t target_words = 0;         // explicit target (0: read from the prompt, else the plan's total)
  std::optional<std::string> plan;  // a given plan: no plan request is made
};

// One refined part: the draft (as written), the critique and the revision (as written).
struct Refinement {
  int step = 0;  // the plan step, or kWholeStep
  std::string draft, critique, revision;
  bool capped = false;  // the revision was cut by its token cap (this run only)
};

enum class ItemStatus { done, dropped, failed, planned };
const char* status_name(ItemStatus s);

struct ItemResult {
  ItemStatus status = ItemStatus::failed;
  std::string plan_text;  // the plan as the model wrote it
  Plan plan;
  std::vector<std::string> paragraphs;  // as written, in order (paragraph refine: the revisions)
  std::string response;                 // cleaned and joined (whole refine: the cleaned revision)
  std::vector<Refinement> refinements;  // with refine: every draft, critique and revision
  int64_t response_length = 0;          // count_words(response)
  int64_t target_words = 0;             // what the length was measured against
  std::string reason;                   // why dropped or failed
};

struct RunStats {
  int64_t requests = 0;  // requests made in this run (retries included)
  int64_t failed_requests = 0;
  int64_t reused_plans = 0;       // finished plans found in the store
  int64_t reused_paragraphs = 0;  // finished paragraphs found in the store
  int64_t completion_tokens = 0;
  double seconds = 0;
  int64_t prompt_tokens = 0;       // of the requests made in this run (as the backend reports them)
  int64_t cached_tokens = 0;       // ... served from the backend's prefix cache
  double prefill_seconds = 0;      // the in-process engine's time to the first token, summed
  double decode_seconds = 0;       // ... and after it
  int64_t capped_paragraphs = 0;   // paragraphs cut by their token cap (ended at a full sentence)
  int64_t reused_refinements = 0;  // finished critiques and revisions found in the store
  int64_t capped_revisions = 0;    // revisions cut by their token cap
};

// Callbacks for progress and streaming; called from worker threads (serialise in the callee).
struct Observer {
  std::function<void(size_t item, const Plan& plan)> on_plan;
  std::function<void(size_t item, int step, std::string_view delta)> on_delta;
  std::function<void(size_t item, int step, const StoredParagraph& p, bool reused)> on_paragraph;
  std::function<void(size_t item, const ItemResult& r)> on_item_done;
  // A finished critique or revision (r.kind "critique" or "revision"; r.step kWholeStep for the whole).
  std::function<void(size_t item, const StoredRequest& r, bool reused)> on_refine;
};

// Runs (or resumes) the pipeline over items. Results are in input order. A backend failure on
// one request is recorded in the store and fails only that instruction (after step_retries);
// the others go on. Throws InputError for unusable templates or a given plan that cannot be parsed.
std::vector<ItemResult> run_pipeline(net::ChatBackend& backend, Store& store,
                                     const std::vector<WorkItem>& items, const PipelineConfig& config,
                                     const Observer& observer = {}, RunStats* stats = nullptr);

// The settings that shape prompts, as the JSON recorded in the store.
std::string settings_fingerprint(const PipelineConfig& config);

}  // namespace lw::agentwrite
