// longwriter demo: the miniature LongWriter experiment, end to end on the CPU (src/demo).
#include <cstdio>
#include <memory>

#include "common/registry.hpp"
#include "demo/pipeline.hpp"
#include "util/progress.hpp"

namespace {

const bool registered = lw::apps::register_command("demo", [](CLI::App& root) {
  auto opts = std::make_shared<lw::demo::DemoOptions>();
  auto* cmd = root.add_subcommand(
      "demo",
      "Reproduce the LongWriter paper's central finding in miniature, on this CPU, with no model and no\n"
      "server: a model's output length is capped by the longest outputs in its SFT data, and long-output\n"
      "data lifts the cap. Generates a synthetic corpus, trains a small BPE tokenizer, packs two SFT sets\n"
      "(the same requests, answered in at most 300 words or in full), trains two tiny Llama models, measures "
      "both\n"
      "on a LongWrite-Ruler-style test, answers the same prompts with AgentWrite driving the capped model\n"
      "(plan, then paragraph by paragraph), and writes DIR/report.{html,md,json,svg} with the three curves.\n"
      "Finished stages are cached in DIR: a rerun skips them.\n"
      "Full demo: about 7 minutes on 2 cores; --quick: under a minute. Results: docs/demo.md.");
  cmd->add_option("-o,--out", opts->out, "Working and output directory")->capture_default_str();
  cmd->add_flag("--quick", opts->quick, "The small version (under a minute; used by the test suite)");
  cmd->add_flag("--with-dpo", opts->with_dpo,
                "Also step-level DPO: step pairs made with the capped model and a scripted judge (within\n"
                "budget, no repetition), DPO of the capped model, and per-step before/after figures");
  cmd->add_option("--seed", opts->seed, "Seed for the corpus, packing and initialisation")
      ->capture_default_str();
  cmd->add_option("--threads", opts->threads, "Threads for packing, training and generation (0: all cores)")
      ->capture_default_str();
  lw::apps::set_action(cmd, [opts] {
    opts->progress = lw::progress_enabled();
    auto r = lw::demo::run_demo(*opts);
    std::fputs(lw::demo::demo_markdown(r).c_str(), stdout);
    std::printf("\nReport: %s/report.html (also report.md, report.json)\n", opts->out.c_str());
    return 0;
  });
});

}  // namespace
