// longwriter ruler: LongWrite-Ruler — how closely a model hits required lengths.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/backend.hpp"
#include "common/registry.hpp"
#include "common/sampling_options.hpp"
#include "eval/judge.hpp"
#include "eval/predict.hpp"
#include "eval/ruler.hpp"
#include "util/data_dir.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::string data, out, pred, name;
  int64_t max_tokens = 32768;
  double temperature = 0.5;
  std::optional<int64_t> seed;
  lw::apps::SamplingOptions sampling;
  int64_t limit = -1;
  int samples = 1;
  bool no_stream = false;
  lw::apps::BackendOptions backend;
};

const bool registered = lw::apps::register_command("ruler", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  o->backend.timeout_s = 3600;
  auto* cmd = root.add_subcommand(
      "ruler",
      "LongWrite-Ruler: generate a response for each prompt (resumable, into DIR/pred.jsonl) and\n"
      "report, per required length L, the mean and max produced length and the share within\n"
      "+-20% of L, with a log-log chart of produced vs required (DIR/ruler.json, .md, .html).\n"
      "With --pred FILE no model is needed: the existing predictions are analysed.\n"
      "Example:\n"
      "  longwriter ruler --out runs/m1-ruler --base-url http://127.0.0.1:8000/v1 --model m1");
  cmd->add_option(
         "--data", o->data,
         "Prompt file (JSONL with \"prompt\" and \"length\"; default: longbench/longwrite_ruler.jsonl\n"
         "in the data folder: $LONGWRITER_DATA, ../shared/data or the installed share/longwriter/data;\n"
         "scripts/get-data.sh fetches it)")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Output directory (pred.jsonl and the ruler report)")->required();
  cmd->add_option("--pred", o->pred, "Analyse these predictions instead of generating (JSONL)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--name", o->name, "Model name in the report (default: the --out directory's name)");
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens generated per response")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Sampling temperature")->capture_default_str();
  cmd->add_option(
      "--seed", o->seed,
      "Sampling seed: sample k of prompt i is sent seed + i*N + k, N = --samples (default: none)");
  cmd->add_option("--samples", o->samples,
                  "Responses per prompt; the report then adds length stability (coefficient of variation,\n"
                  "share within +-20% and S_l over the samples)")
      ->capture_default_str();
  cmd->add_option("--limit", o->limit, "Only the first N prompts (default: all)");
  cmd->add_flag("--no-stream", o->no_stream, "Do not stream tokens");
  lw::apps::add_sampling_options(cmd, o->sampling);
  lw::apps::add_backend_options(cmd, o->backend);
  lw::apps::set_action(cmd, [o] {
    namespace fs = std::filesystem;
    int rc = 0;
    std::string pred = o->pred;
    if (pred.empty()) {
      if (o->data.empty())
        o->data =
            lw::util::require_data_file("longbench/longwrite_ruler.jsonl", "ruler without --data or --pred")
                .string();
      if (o->max_tokens <= 0) lw::fail_input("--max-tokens must be positive, got {}", o->max_tokens);
      if (o->samples < 1) lw::fail_input("--samples must be at least 1, got {}", o->samples);
      auto prompts = lw::eval::load_prompts(o->data);
      auto backend = lw::apps::make_backend(o->backend);
      pred = (fs::path(o->out) / "pred.jsonl").string();
      lw::eval::PredictOptions p;
      p.concurrency = std::max(1, o->backend.concurrency);
      p.max_tokens = o->max_tokens;
      p.temperature = o->temperature;
      p.seed = o->seed;
      p.extras = lw::apps::sampling_extras(o->sampling);
      p.stream = !o->no_stream;
      p.limit = o->limit;
      p.samples = o->samples;
      auto sum = lw::eval::run_predict(*backend, prompts, pred, p);
      std::printf("%s\n", lw::eval::describe(sum, "prompts").c_str());
      for (const auto& f : sum.failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
      if (sum.failed > 0) rc = 1;
    }
    auto rep = lw::eval::analyze_ruler(lw::eval::load_predictions(pred));
    rep.name =
        !o->name.empty() ? o->name : fs::absolute(fs::path(o->out)).lexically_normal().filename().string();
    rep.pred_path = pred;
    lw::eval::write_ruler_report(rep, o->out);
    std::printf("%s", lw::eval::ruler_markdown(rep).c_str());
    std::printf("wrote %s/ruler.json, ruler.md, ruler.html\n", o->out.c_str());
    return rc;
  });
});

}  // namespace
