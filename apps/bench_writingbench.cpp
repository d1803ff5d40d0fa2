// longwriter bench writingbench predict|judge|score: the WritingBench benchmark (docs/bench.md).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/backend.hpp"
#include "common/registry.hpp"
#include "eval/predict.hpp"
#include "eval/resume.hpp"
#include "eval/writingbench_data.hpp"
#include "eval/writingbench_judge.hpp"
#include "eval/writingbench_prompt.hpp"
#include "eval/writingbench_score.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

CLI::App* group(CLI::App& root) {
  auto* bench = lw::apps::parent_command(
      root, "bench", "LongBench-Write: predict, judge, score and compare (docs/bench.md)");
  return lw::apps::parent_command(
      *bench, "writingbench",
      "WritingBench (1,239 queries in 6 domains, each with its own checklist of criteria scored 1-10\n"
      "by a critic model): predict, judge, score. `bench compare` puts the reports side by side.");
}

struct PredictOpts {
  std::string data, out, system;
  int64_t max_tokens = 16000;
  double temperature = 0.7, top_p = 0.8;
  std::optional<int64_t> seed;
  int64_t limit = -1;
  bool no_stream = false;
  lw::apps::BackendOptions backend;
};

const bool reg_predict = lw::apps::register_command("bench writingbench predict", [](CLI::App& root) {
  auto o = std::make_shared<PredictOpts>();
  o->backend.timeout_s = 3600;
  auto* cmd = group(root)->add_subcommand(
      "predict",
      "Generate one response per WritingBench query (resumable, exactly like `bench predict`).\n"
      "Each output line has \"index\", \"domain1\", \"domain2\", \"prompt\" (the query), \"response\",\n"
      "\"response_length\" and \"finish_reason\"; the benchmark's own tools read it as a response file.\n"
      "Defaults follow the benchmark's generation settings (temperature 0.7, top-p 0.8, 16000 tokens).\n"
      "Example:\n"
      "  longwriter bench writingbench predict --data benchmark_all.jsonl --out runs/m1/wb_pred.jsonl \\\n"
      "    --base-url http://127.0.0.1:8000/v1 --model m1");
  cmd->add_option("--data", o->data,
                  "WritingBench query file (JSONL: index, domain1, domain2, query, checklist)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Prediction file (JSONL), appended to and resumed")->required();
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens generated per response")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Sampling temperature")->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling top-p")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Sampling seed: query i is sent seed + i (default: none)");
  cmd->add_option("--system", o->system, "A system message sent before each query (default: none)");
  cmd->add_option("--limit", o->limit, "Only the first N queries (default: all)");
  cmd->add_flag("--no-stream", o->no_stream, "Do not stream tokens");
  lw::apps::add_backend_options(cmd, o->backend);
  lw::apps::set_action(cmd, [o] {
    if (o->max_tokens <= 0) lw::fail_input("--max-tokens must be positive, got {}", o->max_tokens);
    if (o->backend.concurrency < 1) lw::fail_input("--concurrency must be at least 1");
    auto queries = lw::eval::load_writingbench(o->data);
    auto prompts = lw::eval::writingbench_prompts(queries);
    auto backend = lw::apps::make_backend(o->backend);
    lw::eval::PredictOptions p;
    p.concurrency = o->backend.concurrency;
    p.max_tokens = o->max_tokens;
    p.temperature = o->temperature;
    p.top_p = o->top_p;
    p.seed = o->seed;
    p.system = o->system;
    p.stream = !o->no_stream;
    p.limit = o->limit;
    auto sum = lw::eval::run_predict(*backend, prompts, o->out, p);
    std::printf("%s\n", lw::eval::describe(sum, "queries").c_str());
    for (const auto& f : sum.failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
    return sum.failed > 0 ? 1 : 0;
  });
});

struct JudgeOpts {
  std::string data, pred, out, template_file, system;
  int attempts = 3;
  double temperature = 1.0, top_p = 0.95;
  int64_t max_tokens = 2048;
  int64_t limit = -1;
  lw::apps::BackendOptions backend;
};

const bool reg_judge = lw::apps::register_command("bench writingbench judge", [](CLI::App& root) {
  auto o = std::make_shared<JudgeOpts>();
  auto* cmd = group(root)->add_subcommand(
      "judge",
      "Score every criterion of each query's checklist from 1 to 10 with a reason: one critic request\n"
      "per (response, criterion). The reply is read as the benchmark reads it (the first JSON object\n"
      "with \"score\" and \"reason\", after any </think>); an unusable reply is asked again, up to\n"
      "--attempts times. Output lines are in the benchmark's score-file format (\"index\", \"scores\":\n"
      "{criterion: [{score, reason}]}) plus the prediction's fields and \"judge_raw\". A response's\n"
      "text after \"</think>\\n\\n\" is what is judged. Resumable: a rerun judges only what is not scored.\n"
      "Example:\n"
      "  longwriter bench writingbench judge --data benchmark_all.jsonl --pred runs/m1/wb_pred.jsonl \\\n"
      "    --out runs/m1/wb_scores.jsonl --judge-base-url https://api.example.com/v1 --judge-model critic");
  cmd->add_option("--data", o->data, "WritingBench query file (the queries and their checklists)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--pred", o->pred, "Predictions (JSONL with \"index\" and \"response\")")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Score file (JSONL), appended to and resumed")->required();
  cmd->add_option("--template", o->template_file,
                  "Critic prompt with $INST$, $RESPONSE$ and $CRITERIA$, or the benchmark's own prompt text\n"
                  "with {query}, {response} and {criteria} (default: longwriter's own wording)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--system", o->system, "Critic system message (default: longwriter's; \"-\" for none)");
  cmd->add_option("--attempts", o->attempts, "Replies asked for per criterion before giving up")
      ->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Critic sampling temperature")->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "Critic nucleus sampling top-p")->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens per critic reply")->capture_default_str();
  cmd->add_option("--limit", o->limit, "Only the first N predictions (default: all)");
  lw::apps::add_backend_options(cmd, o->backend, "judge-");
  cmd->add_option("--concurrency", o->backend.concurrency, "Same as --judge-concurrency");
  lw::apps::set_action(cmd, [o] {
    if (o->attempts < 1) lw::fail_input("--attempts must be at least 1, got {}", o->attempts);
    if (o->backend.concurrency < 1) lw::fail_input("--concurrency must be at least 1");
    lw::eval::CriticOptions c;
    if (!o->template_file.empty()) {
      c.template_text = lw::io::read_file(o->template_file);
      lw::eval::validate_critic_template(c.template_text, o->template_file);
    }
    auto queries = lw::eval::load_writingbench(o->data);
    auto preds = lw::eval::load_wb_predictions(o->pred);
    auto backend = lw::apps::make_backend(o->backend, "judge-");
    c.system = o->system;
    c.concurrency = o->backend.concurrency;
    c.max_attempts = o->attempts;
    c.temperature = o->temperature;
    c.top_p = o->top_p;
    c.max_tokens = o->max_tokens;
    c.limit = o->limit;
    lw::log::info("writingbench judge: {} predictions from {} with {}, {} in flight", preds.size(), o->pred,
                  backend->describe(), c.concurrency);
    auto sum = lw::eval::run_writingbench_judge(*backend, preds, queries, o->out, c);
    std::printf("%s\n", lw::eval::describe(sum, "responses").c_str());
    for (const auto& f : sum.failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
    return sum.failed > 0 ? 1 : 0;
  });
});

struct ScoreOpts {
  std::string judge, data, requirements, out, name;
};

const bool reg_score = lw::apps::register_command("bench writingbench score", [](CLI::App& root) {
  auto o = std::make_shared<ScoreOpts>();
  auto* cmd = group(root)->add_subcommand(
      "score",
      "Aggregate critic scores as the benchmark's calculate_scores.py does (1-10 scale): Overall (mean\n"
      "of every criterion evaluation), per domain and subdomain (mean of query scores), and with\n"
      "--requirements the style/format/length subsets (R: query scores, C: the subset's criteria).\n"
      "Lists queries not scored and critic failures. Writes DIR/writingbench.json, .md and .html.\n"
      "Also reads score files written by the benchmark's evaluate_benchmark.py.\n"
      "Example:\n"
      "  longwriter bench writingbench score --judge runs/m1/wb_scores.jsonl --data benchmark_all.jsonl \\\n"
      "    --requirements WritingBench/benchmark_query/requirement --out runs/m1");
  cmd->add_option("--judge", o->judge, "Score file from `writingbench judge` (or evaluate_benchmark.py)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", o->data,
                  "WritingBench query file: domains and the queries without a score (default: domains from\n"
                  "the score lines' own domain1/domain2)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--requirements", o->requirements,
                  "The benchmark's requirement folder (style/, format/, length/ with <name>_subset.jsonl\n"
                  "and <name>_subset_C.jsonl)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("-o,--out", o->out, "Report directory (created)")->required();
  cmd->add_option("--name", o->name, "Model name in the report (default: the --out directory's name)");
  lw::apps::set_action(cmd, [o] {
    namespace fs = std::filesystem;
    auto lines = lw::eval::read_existing_output(o->judge);  // tolerates a torn final line
    std::vector<lw::eval::WbQuery> data;
    if (!o->data.empty()) data = lw::eval::load_writingbench(o->data);
    std::vector<lw::eval::WbRequirementSet> reqs;
    if (!o->requirements.empty()) reqs = lw::eval::load_requirement_sets(o->requirements);
    auto rep = lw::eval::compute_writingbench_scores(lines, o->data.empty() ? nullptr : &data,
                                                     o->requirements.empty() ? nullptr : &reqs);
    rep.name =
        !o->name.empty() ? o->name : fs::absolute(fs::path(o->out)).lexically_normal().filename().string();
    if (rep.name.empty()) rep.name = "model";
    rep.judge_path = o->judge;
    rep.data_path = o->data;
    rep.requirements_path = o->requirements;
    lw::eval::write_writingbench_report(rep, o->out);
    std::printf("%s: WritingBench overall %s (%lld queries, %lld evaluations, %zu missing, %zu failed)\n",
                rep.name.c_str(), rep.overall ? fmt::format("{:.2f}", *rep.overall).c_str() : "n/a",
                static_cast<long long>(rep.count), static_cast<long long>(rep.n_evals), rep.missing.size(),
                rep.failed.size());
    std::printf("wrote %s/writingbench.json, writingbench.md, writingbench.html\n", o->out.c_str());
    return 0;
  });
});

}  // namespace
