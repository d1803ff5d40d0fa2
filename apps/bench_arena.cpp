// longwriter bench arena PRED1 PRED2 ...: pairwise judgements, Bradley-Terry ratings (docs/bench.md).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/backend.hpp"
#include "common/registry.hpp"
#include "eval/arena.hpp"
#include "eval/arena_judge.hpp"
#include "eval/judge.hpp"
#include "eval/resume.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::vector<std::string> preds, names;
  std::string out, template_file;
  int attempts = 3, bootstrap = 1000;
  uint64_t seed = 0;
  double prior = 1, temperature = 0;
  int64_t max_tokens = 1024, limit = -1;
  lw::apps::BackendOptions backend;
};

const bool registered = lw::apps::register_command("bench arena", [](CLI::App& root) {
  auto* bench = lw::apps::parent_command(
      root, "bench", "LongBench-Write: predict, judge, score and compare (docs/bench.md)");
  auto o = std::make_shared<Options>();
  auto* cmd = bench->add_subcommand(
      "arena",
      "Rank models by pairwise judgements. For every pair of prediction files and every prompt both\n"
      "answered, the judge compares the two responses twice, once in each order (position bias\n"
      "cancels), and names A, B or a tie. Ratings: Bradley-Terry maximum likelihood on the Elo scale,\n"
      "with seeded bootstrap 95% intervals, and the win-rate matrix. Judgements go to\n"
      "DIR/arena_judgements.jsonl (resumable); the report to DIR/arena.json, .md and .html.\n"
      "Example:\n"
      "  longwriter bench arena runs/m1/pred.jsonl runs/m2/pred.jsonl runs/m3/pred.jsonl --out runs/arena "
      "\\\n"
      "    --judge-base-url https://api.openai.com/v1 --judge-model gpt-4o --judge-api-key-file key.txt");
  cmd->add_option("preds", o->preds, "Prediction files from `bench predict` (two or more)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Output directory")->required();
  cmd->add_option("--names", o->names, "Model names, one per file (default: each file's directory name)")
      ->delimiter(',');
  cmd->add_option("--template", o->template_file,
                  "Judge prompt with $INST$, $RESPONSE_A$ and $RESPONSE_B$ (default: longwriter's own)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--attempts", o->attempts, "Replies asked for per comparison before giving up")
      ->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap, "Bootstrap rounds for the confidence intervals (0: none)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--prior", o->prior, "Virtual ties added per pair before fitting (keeps ratings finite)")
      ->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Judge sampling temperature")->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens per judge reply")->capture_default_str();
  cmd->add_option("--limit", o->limit, "Only the first N shared prompts (default: all)");
  lw::apps::add_backend_options(cmd, o->backend, "judge-");
  cmd->add_option("--concurrency", o->backend.concurrency, "Same as --judge-concurrency");
  lw::apps::set_action(cmd, [o] {
    namespace fs = std::filesystem;
    if (o->preds.size() < 2) lw::fail_input("bench arena needs at least two prediction files");
    if (!o->names.empty() && o->names.size() != o->preds.size())
      lw::fail_input("--names has {} names for {} prediction files", o->names.size(), o->preds.size());
    if (o->attempts < 1) lw::fail_input("--attempts must be at least 1, got {}", o->attempts);
    if (o->bootstrap < 0) lw::fail_input("--bootstrap must not be negative");
    if (o->prior < 0) lw::fail_input("--prior must not be negative");
    std::vector<lw::eval::ArenaModel> models;
    std::vector<std::string> names;
    for (size_t i = 0; i < o->preds.size(); ++i) {
      std::string name =
          !o->names.empty() ? o->names[i] : fs::absolute(o->preds[i]).parent_path().filename().string();
      if (std::find(names.begin(), names.end(), name) != names.end())
        lw::fail_input("two prediction files are both named \"{}\" (use --names)", name);
      names.push_back(name);
      models.push_back({name, lw::eval::load_predictions(o->preds[i])});
    }
    lw::eval::ArenaJudgeOptions j;
    if (!o->template_file.empty()) {
      j.template_text = lw::io::read_file(o->template_file);
      lw::eval::validate_arena_template(j.template_text, o->template_file);
    }
    j.concurrency = std::max(1, o->backend.concurrency);
    j.max_attempts = o->attempts;
    j.temperature = o->temperature;
    j.max_tokens = o->max_tokens;
    j.limit = o->limit;
    auto backend = lw::apps::make_backend(o->backend, "judge-");
    fs::create_directories(o->out);
    fs::path judgements = fs::path(o->out) / "arena_judgements.jsonl";
    auto sum = lw::eval::run_arena_judge(*backend, models, judgements, j);
    std::printf("%s\n", lw::eval::describe(sum, "comparisons").c_str());
    for (const auto& f : sum.failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
    auto res = lw::eval::analyze_arena(names, lw::eval::read_existing_output(judgements), o->bootstrap,
                                       o->seed, o->prior);
    lw::eval::write_arena_report(res, o->out);
    std::printf("%s", lw::eval::arena_markdown(res).c_str());
    std::printf("wrote %s/arena.json, arena.md, arena.html\n", o->out.c_str());
    return sum.failed > 0 ? 1 : 0;
  });
});

}  // namespace
