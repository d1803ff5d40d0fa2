// longwriter write "INSTRUCTION": AgentWrite for one instruction — plan, then write paragraph by
// paragraph, streaming the text to stdout as it is written.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "agentwrite/clean.hpp"
#include "agentwrite/length_request.hpp"
#include "agentwrite/pipeline.hpp"
#include "agentwrite/write_progress.hpp"
#include "agentwrite_options.hpp"
#include "common/backend.hpp"
#include "common/registry.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace {

namespace aw = lw::agentwrite;

struct Options {
  std::string instruction;
  std::string out;
  std::string plan_file;
  std::string checkpoint;
  int64_t words = 0;
  bool plan_only = false;
  lw::apps::BackendOptions backend;
  lw::apps::AgentWriteOptions aw;
};

// Prints paragraphs to stdout as they stream in, holding back the start of each one until a
// leading "Paragraph N:" label can be recognised and removed (as the saved text has it removed).
class StreamPrinter {
 public:
  void delta(int step, std::string_view d) {
    std::lock_guard lk(mu_);
    if (step != current_) {
      flush_head_locked();
      current_ = step;
      head_.clear();
      head_done_ = false;
    }
    if (!head_done_) {
      head_ += d;
      if (head_.size() >= 160) flush_head_locked();
      return;
    }
    std::string s = aw::strip_invisible(d);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
  }
  // A whole paragraph (parallel mode, reused paragraphs, or one that did not stream).
  void paragraph(int step, const std::string& text) {
    std::lock_guard lk(mu_);
    if (step == current_ && (head_done_ || !head_.empty())) {
      flush_head_locked();
      return;
    }
    current_ = step;
    head_ = text;
    head_done_ = false;  // a new paragraph (before, only the first whole paragraph was printed)
    flush_head_locked();
  }

 private:
  void flush_head_locked() {
    if (head_done_ || current_ < 0) return;
    std::string s = aw::clean_paragraph(head_);
    if (printed_any_) std::fputs("\n\n", stdout);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
    printed_any_ = true;
    head_done_ = true;
  }
  std::mutex mu_;
  int current_ = -1;
  std::string head_;
  bool head_done_ = false;
  bool printed_any_ = false;
};

int run(const Options& o) {
  aw::PipelineConfig cfg = lw::apps::pipeline_config(o.aw);
  cfg.concurrency = o.aw.parallel ? std::max(1, o.backend.concurrency) : 1;
  cfg.plan_only = o.plan_only;
  // The text streams to stdout as it is written only without --parallel and --refine (refined text
  // prints when revised). A progress bar on stderr counts the words as they stream, where stdout is
  // not a terminal or holds nothing until the end.
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  const bool print_stream = !o.aw.parallel && cfg.refine == aw::RefineMode::off;
  // --parallel to a terminal: the text is printed whole at the end, not under the bar.
  const bool hold_text = tty && o.aw.parallel && cfg.refine != aw::RefineMode::whole;
  const bool use_bar = lw::progress_enabled() && !o.plan_only && (!tty || hold_text);
  cfg.stream = print_stream || use_bar;
  cfg.min_length_fraction = 0;  // a single write is never dropped; a short result is reported
  aw::WorkItem item;
  item.prompt = o.instruction;
  item.target_words = o.words;
  if (!o.plan_file.empty()) item.plan = lw::io::read_file(o.plan_file);
  if (o.instruction.empty()) lw::fail_input("the instruction is empty");

  // One request at a time without --parallel: a local model then reserves one KV cache slot, not
  // --concurrency of them.
  lw::apps::BackendOptions bo = o.backend;
  if (!o.aw.parallel) bo.concurrency = 1;
  auto backend = lw::apps::make_backend(bo);
  aw::Store store(o.checkpoint.empty() ? std::string(":memory:") : o.checkpoint);

  StreamPrinter printer;
  std::unique_ptr<lw::Progress> progress;
  std::mutex mu;
  aw::WriteProgress wp;
  wp.target = o.words > 0 ? o.words : aw::explicit_target_words(o.instruction);
  auto start_bar_locked = [&] {
    if (use_bar && !progress) progress = std::make_unique<lw::Progress>("write", wp.target, "words");
  };
  auto update_bar_locked = [&] {
    progress->set_detail(wp.bar_detail(wp.elapsed()));
    progress->set(wp.words_now());
  };
  if (item.plan) {  // a given plan is not reported through on_plan
    aw::PlanParse pp = aw::parse_plan(*item.plan, wp.target, cfg.limits);
    if (pp.ok()) {
      wp.planned(pp.plan);
      start_bar_locked();
    }
  }

  aw::Observer obs;
  obs.on_plan = [&](size_t, const aw::Plan& plan) {
    std::lock_guard lk(mu);
    wp.planned(plan);
    for (const auto& note : plan.notes) lw::log::info("plan: {}", note);
    lw::log::info("plan: {} paragraphs, {} words planned", plan.steps.size(), plan.total_words());
    start_bar_locked();
    if (progress) progress->set_total(wp.target);
  };
  obs.on_delta = [&](size_t, int step, std::string_view d) {
    if (print_stream) printer.delta(step, d);
    std::lock_guard lk(mu);
    if (!progress) return;
    wp.delta(step, d);
    update_bar_locked();
  };
  std::map<int, std::string> pending;  // parallel mode: paragraphs that arrived early
  int next_print = 0;
  auto deliver_locked = [&](int step, const std::string& text) {
    pending[step] = text;
    while (!hold_text && pending.count(next_print)) {
      printer.paragraph(next_print, pending[next_print]);
      pending.erase(next_print++);
    }
  };
  // Refine: each revised paragraph is printed when its revision arrives (the whole text at the end).
  obs.on_refine = [&](size_t, const aw::StoredRequest& x, bool) {
    std::lock_guard lk(mu);
    if (x.kind == "critique")
      lw::log::info(
          "critique of {}: {} words",
          x.step == aw::kWholeStep ? std::string("the text") : fmt::format("paragraph {}", x.step + 1),
          x.words);
    if (x.kind == "revision" && x.step != aw::kWholeStep) deliver_locked(x.step, x.text);
  };
  obs.on_paragraph = [&](size_t, int step, const aw::StoredParagraph& p, bool reused) {
    std::lock_guard lk(mu);
    wp.add(step, p, reused);
    if (p.capped)
      lw::log::info("paragraph {} hit its cap of {} tokens; ended at its last full sentence", step + 1,
                    p.token_cap);
    if (cfg.refine == aw::RefineMode::off) deliver_locked(step, p.text);
    if (progress) {
      if (reused) progress->add_resumed(p.words);
      update_bar_locked();
    } else if (lw::progress_enabled()) {
      std::fprintf(stderr, "\n[paragraph %d/%zu · %s]\n", wp.done, wp.steps, wp.detail(wp.elapsed()).c_str());
    }
  };

  aw::RunStats stats;
  auto results = aw::run_pipeline(*backend, store, {item}, cfg, obs, &stats);
  if (progress) progress->finish();
  const aw::ItemResult& r = results.front();
  if (r.status == aw::ItemStatus::failed) lw::fail("write failed: {}", r.reason);
  if (r.status == aw::ItemStatus::dropped) lw::fail("no usable plan: {}", r.reason);
  std::string out_text = o.plan_only ? r.plan_text : r.response;
  if (o.plan_only || cfg.refine == aw::RefineMode::whole || hold_text) std::fputs(out_text.c_str(), stdout);
  std::fputs("\n", stdout);
  std::fflush(stdout);
  if (!o.out.empty()) lw::io::write_file_atomic(o.out, out_text + "\n");
  if (!o.plan_only) {
    lw::log::info("wrote {} words in {} paragraphs (planned {}, target {}){}", r.response_length,
                  r.paragraphs.size(), r.plan.total_words(), r.target_words,
                  o.out.empty() ? "" : fmt::format("; saved to {}", o.out));
    if (r.target_words > 0 && r.response_length < r.target_words / 2)
      lw::log::warn("the text is less than half of the {}-word target", r.target_words);
    lw::log::info("{}", wp.summary(stats, r.paragraphs.size(), wp.elapsed()));
    if (auto kv = lw::apps::kv_cache_summary(*backend); !kv.empty()) lw::log::info("{}", kv);
    if (auto d = lw::apps::decode_sharing_summary(*backend); !d.empty()) lw::log::info("{}", d);
    if (auto d = lw::apps::speculative_summary(*backend); !d.empty()) lw::log::info("{}", d);
    if (!r.refinements.empty())
      lw::log::info("refined {} part(s) ({} revision(s) hit their token cap)", r.refinements.size(),
                    stats.capped_revisions);
  }
  return 0;
}

const bool registered = lw::apps::register_command("write", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "write",
      "AgentWrite one long text: the model first plans the piece as paragraphs with word budgets,\n"
      "then writes them in order, each time seeing the instruction, the plan and the text so far.\n"
      "The text streams to stdout as it is written. Progress goes to stderr: a bar counting the words\n"
      "written of the target as they stream (paragraphs being written included; tokens/s over wall time,\n"
      "ETA, the share of prompt tokens a prefix cache served), or, while the text streams to a terminal,\n"
      "a line after each paragraph. With --parallel to a terminal the text is printed whole at the end.\n"
      "At the end a summary: prompt tokens and how many were cached, the prefill/decode time split of a\n"
      "local model, and how many paragraphs hit their token cap (see --paragraph-cap-margin).\n\n"
      "With --refine each paragraph (or with --refine-mode whole, the finished text) is critiqued and\n"
      "revised before the next one is written; the revised text is what is printed and saved.\n\n"
      "Example:\n"
      "  longwriter write \"Write a 10000-word history of the Roman roads\" \\\n"
      "      --base-url http://127.0.0.1:8000/v1 --model MODEL -o roads.md");
  cmd->add_option("instruction", o->instruction, "The writing instruction")->required();
  cmd->add_option("-o,--out", o->out,
                  "Also save the cleaned text (or with --plan-only, the plan) to this file");
  cmd->add_flag("--plan-only", o->plan_only, "Only make the plan and print it (reusable with --plan)");
  cmd->add_option("--plan", o->plan_file, "Write from this plan instead of asking the model for one")
      ->check(CLI::ExistingFile);
  cmd->add_option(
      "--words", o->words,
      "Target length in words (default: the instruction's own request, e.g. \"5000 words\", else the "
      "plan's total)");
  cmd->add_option("--checkpoint", o->checkpoint,
                  "Keep finished steps in this SQLite file so an interrupted write resumes (default: none)");
  lw::apps::add_agentwrite_options(cmd, o->aw);
  lw::apps::add_backend_options(cmd, o->backend);
  lw::apps::set_action(cmd, [o] {
    lw::apps::load_templates(o->aw);
    return run(*o);
  });
});

}  // namespace
