// longwriter bench predict: one response per LongBench-Write prompt, resumable.
#include <cstdio>
#include <memory>
#include <optional>

#include "common/backend.hpp"
#include "common/registry.hpp"
#include "common/sampling_options.hpp"
#include "eval/predict.hpp"
#include "util/data_dir.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::string data, out, system;
  int64_t max_tokens = 32768;
  double temperature = 0.5;
  std::optional<int64_t> seed;
  lw::apps::SamplingOptions sampling;
  double top_p = -1;
  int64_t limit = -1;
  int samples = 1;
  bool no_stream = false;
  lw::apps::BackendOptions backend;
};

const bool registered = lw::apps::register_command("bench predict", [](CLI::App& root) {
  auto* bench = lw::apps::parent_command(
      root, "bench", "LongBench-Write: predict, judge, score and compare (docs/bench.md)");
  auto o = std::make_shared<Options>();
  o->backend.timeout_s = 3600;  // long outputs: up to 32k tokens per request
  auto* cmd = bench->add_subcommand(
      "predict",
      "Generate one response per prompt of a LongBench-Write file and append it to --out.\n"
      "Each output line keeps every input field and adds \"response\", \"response_length\" (words,\n"
      "as count-words counts them) and \"finish_reason\" (\"length\" = cut at --max-tokens).\n"
      "Resumable: a rerun skips the prompts already in --out; a killed run loses only the\n"
      "requests in flight. Failed requests are reported and retried by the next run.\n"
      "Example:\n"
      "  longwriter bench predict --out runs/m1/pred.jsonl --base-url http://127.0.0.1:8000/v1 --model m1 "
      "\\\n"
      "    --concurrency 8");
  cmd->add_option(
         "--data", o->data,
         "Prompt file (JSONL with \"prompt\", \"type\", \"length\"; default: "
         "longbench/longbench_write.jsonl\n"
         "in the data folder: $LONGWRITER_DATA, ../shared/data or the installed share/longwriter/data;\n"
         "scripts/get-data.sh fetches it)")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Prediction file (JSONL), appended to and resumed")->required();
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens generated per response")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Sampling temperature")->capture_default_str();
  cmd->add_option("--seed", o->seed,
                  "Sampling seed: sample k of prompt i is sent seed + i*N + k, N = --samples (reproducible\n"
                  "runs; default: none)");
  cmd->add_option("--samples", o->samples,
                  "Responses per prompt (length stability: bench score then reports the coefficient of\n"
                  "variation of the length, the share within +-20% and S_l over the samples). Lines get\n"
                  "\"sample\": k; resumable per (prompt, sample)")
      ->capture_default_str();
  cmd->add_option("--top-p", o->top_p, "Nucleus sampling top-p (default: the server's)");
  cmd->add_option("--system", o->system, "A system message sent before each prompt (default: none)");
  cmd->add_option("--limit", o->limit, "Only the first N prompts (default: all)");
  cmd->add_flag("--no-stream", o->no_stream,
                "Do not stream tokens (by default responses stream, which shows live progress and keeps\n"
                "long requests alive through proxies)");
  lw::apps::add_sampling_options(cmd, o->sampling);
  lw::apps::add_backend_options(cmd, o->backend);
  lw::apps::set_action(cmd, [o] {
    if (o->max_tokens <= 0) lw::fail_input("--max-tokens must be positive, got {}", o->max_tokens);
    if (o->backend.concurrency < 1) lw::fail_input("--concurrency must be at least 1");
    if (o->samples < 1) lw::fail_input("--samples must be at least 1, got {}", o->samples);
    if (o->data.empty())
      o->data = lw::util::require_data_file("longbench/longbench_write.jsonl", "bench predict without --data")
                    .string();
    auto prompts = lw::eval::load_prompts(o->data);
    auto backend = lw::apps::make_backend(o->backend);
    lw::eval::PredictOptions p;
    p.concurrency = o->backend.concurrency;
    p.max_tokens = o->max_tokens;
    p.temperature = o->temperature;
    p.seed = o->seed;
    p.extras = lw::apps::sampling_extras(o->sampling);
    if (o->top_p >= 0) p.top_p = o->top_p;
    p.system = o->system;
    p.stream = !o->no_stream;
    p.limit = o->limit;
    p.samples = o->samples;
    lw::log::info("predict: {} prompts from {} with {}, {} in flight", prompts.size(), o->data,
                  backend->describe(), p.concurrency);
    auto sum = lw::eval::run_predict(*backend, prompts, o->out, p);
    std::printf("%s\n", lw::eval::describe(sum, o->samples > 1 ? "responses" : "prompts").c_str());
    for (const auto& f : sum.failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
    return sum.failed > 0 ? 1 : 0;
  });
});

}  // namespace
