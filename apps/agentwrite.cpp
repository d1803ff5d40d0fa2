// longwriter agentwrite --in instructions.jsonl --out write.jsonl: AgentWrite at dataset scale,
// checkpointed in SQLite so a rerun resumes exactly. Also the group of `agentwrite select` and
// `agentwrite export` (apps/agentwrite_select.cpp, apps/agentwrite_export.cpp).
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>

#include "agentwrite/pipeline.hpp"
#include "agentwrite/select.hpp"
#include "agentwrite_options.hpp"
#include "common/backend.hpp"
#include "common/registry.hpp"
#include "io/jsonl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace {

namespace aw = lw::agentwrite;
using lw::io::Json;

struct Options {
  std::string in, out, checkpoint, rejects, field = "prompt";
  bool fresh = false;
  bool plan_only = false;
  double min_fraction = 0.5;
  lw::apps::BackendOptions backend;
  lw::apps::AgentWriteOptions aw;
};

// [{"step": 1 (or "whole"), "draft", "critique", "revision"}]
Json refine_json(const std::vector<aw::Refinement>& refs) {
  Json arr = Json::array();
  for (const auto& x : refs)
    arr.push_back({{"step", x.step == aw::kWholeStep ? Json("whole") : Json(x.step + 1)},
                   {"draft", x.draft},
                   {"critique", x.critique},
                   {"revision", x.revision}});
  return arr;
}

int run(Options& o) {
  if (o.in.empty() || o.out.empty())
    lw::fail_input("agentwrite needs --in FILE and --out FILE (or a subcommand: select, export, pairs)");
  lw::apps::load_templates(o.aw);
  if (o.checkpoint.empty()) o.checkpoint = o.out + ".sqlite";
  if (o.rejects.empty()) o.rejects = o.out + ".rejects.jsonl";

  std::vector<lw::io::Record> records = lw::io::read_jsonl(o.in);
  std::vector<aw::WorkItem> items;
  items.reserve(records.size());
  for (const auto& r : records) {
    if (!r.value.is_object()) lw::fail_input("{}: expected a JSON object", r.where());
    aw::WorkItem w;
    w.prompt = r.get_string(o.field);
    if (w.prompt.empty()) lw::fail_input("{}: field \"{}\" is empty", r.where(), o.field);
    w.target_words = r.get_int_or("target_words", 0);
    items.push_back(std::move(w));
  }
  if (o.fresh) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(o.checkpoint + suffix);
  }

  aw::PipelineConfig cfg = lw::apps::pipeline_config(o.aw);
  cfg.concurrency = std::max(1, o.backend.concurrency);
  cfg.min_length_fraction = o.min_fraction;
  cfg.plan_only = o.plan_only;
  auto backend = lw::apps::make_backend(o.backend);
  aw::Store store(o.checkpoint);
  lw::log::info("agentwrite: {} instructions, {} requests in flight, checkpoint {}", items.size(), cfg.concurrency,
                o.checkpoint);

  lw::Progress progress("agentwrite", static_cast<int64_t>(items.size()), "instructions");
  std::atomic<int64_t> steps{0}, words{0};
  aw::Observer obs;
  obs.on_paragraph = [&](size_t, int, const aw::StoredParagraph& p, bool) {
    ++steps;
    words += p.words;
  };
  obs.on_item_done = [&](size_t, const aw::ItemResult&) {
    progress.add(1);
    progress.set_detail(fmt::format("{} paragraphs, {} words", steps.load(), words.load()));
  };

  aw::RunStats stats;
  auto results = aw::run_pipeline(*backend, store, items, cfg, obs, &stats);
  progress.finish();

  lw::io::JsonlWriter out(o.out);
  lw::io::JsonlWriter rejects(o.rejects);
  int64_t n_done = 0, n_dropped = 0, n_failed = 0;
  std::map<std::string, int64_t> reasons;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    Json line = records[i].value;
    line["plan"] = r.plan_text;
    if (r.status == aw::ItemStatus::done || r.status == aw::ItemStatus::planned) {
      if (r.status == aw::ItemStatus::done) {
        line["write"] = r.paragraphs;
        line["response"] = r.response;
        line["response_length"] = r.response_length;
        if (!r.refinements.empty()) line["refine"] = refine_json(r.refinements);
      }
      out.write(line);
      ++n_done;
      continue;
    }
    (r.status == aw::ItemStatus::failed ? n_failed : n_dropped)++;
    ++reasons[aw::reason_bucket(r.reason)];
    line["status"] = aw::status_name(r.status);
    line["reason"] = r.reason;
    if (!r.paragraphs.empty()) line["response_length"] = r.response_length;
    rejects.write(line);
  }
  out.commit();
  rejects.commit();
  lw::log::info("agentwrite: {} written, {} dropped, {} failed -> {} (rejects: {})", n_done, n_dropped, n_failed,
                o.out, o.rejects);
  for (const auto& [reason, n] : reasons) lw::log::info("  {:>6} {}", n, reason);
  if (auto kv = lw::apps::kv_cache_summary(*backend); !kv.empty()) lw::log::info("agentwrite: {}", kv);
  if (auto d = lw::apps::decode_sharing_summary(*backend); !d.empty()) lw::log::info("agentwrite: {}", d);
  if (auto d = lw::apps::speculative_summary(*backend); !d.empty()) lw::log::info("agentwrite: {}", d);
  lw::log::info(
      "requests this run: {} ({} failed); reused from checkpoint: {} plans, {} paragraphs, {} critiques and "
      "revisions",
      stats.requests, stats.failed_requests, stats.reused_plans, stats.reused_paragraphs,
      stats.reused_refinements);
  if (n_failed > 0)
    lw::fail("{} instruction(s) failed (see {}); rerun the same command to retry them — finished steps are kept",
             n_failed, o.rejects);
  return 0;
}

const bool registered = lw::apps::register_command("agentwrite", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "agentwrite",
      "AgentWrite at dataset scale: plan and write every instruction of a JSONL file, many requests\n"
      "in flight across instructions. Every finished plan and paragraph is committed at once to a\n"
      "SQLite checkpoint (OUT.sqlite); rerunning the same command resumes exactly and never asks for\n"
      "a finished step again. Output lines keep every input field and add plan, write (the\n"
      "paragraphs), response (cleaned, joined) and response_length; dropped and failed instructions\n"
      "go to OUT.rejects.jsonl with a reason. With --refine, \"write\" holds the revised paragraphs\n"
      "and \"refine\" every draft, critique and revision.\n\n"
      "Example:\n"
      "  longwriter agentwrite --in instructions.jsonl --out write.jsonl \\\n"
      "      --base-url http://10.0.0.1:8000/v1,http://10.0.0.2:8000/v1 --model MODEL --concurrency 32\n\n"
      "Subcommands: select (choose long-output instructions), export (SFT data + stats), pairs\n"
      "(step-level preference pairs for DPO).");
  cmd->require_subcommand(0, 1);
  cmd->add_option("--in", o->in, "Instructions, JSONL with a \"prompt\" field (optional integer target_words)");
  cmd->add_option("--out", o->out, "Results, JSONL (written atomically at the end)");
  cmd->add_option("--field", o->field, "Input field holding the instruction")->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "SQLite checkpoint file (default: OUT.sqlite)");
  cmd->add_option("--rejects", o->rejects, "Where dropped and failed instructions go (default: OUT.rejects.jsonl)");
  cmd->add_flag("--fresh", o->fresh, "Delete the checkpoint first and start over");
  cmd->add_flag("--plan-only", o->plan_only, "Only make the plans (output lines get \"plan\" only)");
  cmd->add_option("--min-length-fraction", o->min_fraction,
                  "Drop results shorter than this fraction of their target length")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  lw::apps::add_agentwrite_options(cmd, o->aw);
  lw::apps::add_backend_options(cmd, o->backend);
  lw::apps::set_action(cmd, [o] { return run(*o); });
});

}  // namespace
