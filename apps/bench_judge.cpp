// longwriter bench judge: LLM-judge quality scores for predictions, resumable.
#include <cstdio>
#include <memory>

#include "common/backend.hpp"
#include "common/registry.hpp"
#include "eval/judge.hpp"
#include "eval/judge_prompt.hpp"
#include "eval/segments.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::string pred, out, template_file;
  int attempts = 3;
  double temperature = 0.5;
  int64_t max_tokens = 2048;
  int64_t limit = -1;
  int segments = 0;
  size_t context_chars = 6000;
  lw::apps::BackendOptions backend;
};

const bool registered = lw::apps::register_command("bench judge", [](CLI::App& root) {
  auto* bench = lw::apps::parent_command(
      root, "bench", "LongBench-Write: predict, judge, score and compare (docs/bench.md)");
  auto o = std::make_shared<Options>();
  auto* cmd = bench->add_subcommand(
      "judge",
      "Ask an LLM judge to score each prediction from 1 to 5 on Relevance, Accuracy, Coherence,\n"
      "Clarity, Breadth and Depth, and Reading Experience. The JSON object is extracted from the\n"
      "answer robustly (bare, in a ```json fence, or inside prose); an answer with a missing,\n"
      "non-integer or out-of-range score is asked again, up to --attempts times. Each output line\n"
      "keeps the prediction's fields and adds \"scores\", \"judge_raw\" (verbatim), or \"judge_error\".\n"
      "Resumable: a rerun judges only what is not yet scored (failures included).\n"
      "Example:\n"
      "  longwriter bench judge --pred runs/m1/pred.jsonl --out runs/m1/judge.jsonl \\\n"
      "    --judge-base-url https://api.openai.com/v1 --judge-model gpt-4o --judge-api-key-file key.txt");
  cmd->add_option("--pred", o->pred, "Predictions from `bench predict` (JSONL)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Judgement file (JSONL), appended to and resumed")->required();
  cmd->add_option("--template", o->template_file,
                  "Judge prompt template with $INST$ (the request) and $RESPONSE$ (the response), e.g.\n"
                  "../shared/data/reference-prompts/judge.txt (default: longwriter's own wording)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--attempts", o->attempts, "Answers asked for per response before giving up on it")
      ->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Judge sampling temperature")->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens per judge answer")->capture_default_str();
  cmd->add_option("--limit", o->limit, "Only the first N predictions (default: all)");
  cmd->add_option("--segments", o->segments,
                  "Judge each response in K consecutive parts cut at paragraph boundaries, each with the\n"
                  "request and the text before it as context; lines get \"segment_scores\" instead of\n"
                  "\"scores\" (use another --out; bench score --segment-judge reports S_q by position).\n"
                  "--template then needs $INST$, $CONTEXT$ and $RESPONSE$");
  cmd->add_option("--context-chars", o->context_chars,
                  "Segments: the most characters of preceding text shown")
      ->capture_default_str();
  lw::apps::add_backend_options(cmd, o->backend, "judge-");
  cmd->add_option("--concurrency", o->backend.concurrency, "Same as --judge-concurrency");
  lw::apps::set_action(cmd, [o] {
    if (o->attempts < 1) lw::fail_input("--attempts must be at least 1, got {}", o->attempts);
    if (o->backend.concurrency < 1) lw::fail_input("--concurrency must be at least 1");
    if (o->segments < 0 || o->segments == 1)
      lw::fail_input("--segments must be 2 or more, got {}", o->segments);
    lw::eval::JudgeOptions j;
    if (!o->template_file.empty()) {
      if (o->segments > 0) {
        j.template_text = lw::io::read_file(o->template_file);
        lw::eval::validate_segment_template(j.template_text, o->template_file);
      } else {
        j.template_text = lw::eval::load_judge_template(o->template_file);
      }
    }
    j.segments = o->segments;
    j.context_chars = o->context_chars;
    auto preds = lw::eval::load_predictions(o->pred);
    auto backend = lw::apps::make_backend(o->backend, "judge-");
    j.concurrency = o->backend.concurrency;
    j.max_attempts = o->attempts;
    j.temperature = o->temperature;
    j.max_tokens = o->max_tokens;
    j.limit = o->limit;
    lw::log::info("judge: {} predictions from {} with {}, {} in flight", preds.size(), o->pred, backend->describe(),
                  j.concurrency);
    auto sum = lw::eval::run_judge(*backend, preds, o->out, j);
    std::printf("%s\n", lw::eval::describe(sum, "responses").c_str());
    for (const auto& f : sum.failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
    return sum.failed > 0 ? 1 : 0;
  });
});

}  // namespace
