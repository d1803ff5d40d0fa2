#pragma once
// bench predict: one response per prompt from any ChatBackend, appended to a resumable JSONL file.
// Each output line keeps every field of the input line and adds "response", "response_length"
// (count_words) and "finish_reason".
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/pipeline.hpp"
#include "io/jsonl.hpp"
#include "net/chat.hpp"

namespace lw::eval {

struct PredictOptions {
  int concurrency = 8;
  int64_t max_tokens = 32768;
  std::optional<double> temperature = 0.5;
  std::optional<double> top_p;
  net::SamplingExtras extras;  // penalties, DRY, min_p, top_k, logit_bias (net/chat.hpp)
  std::string system;  // optional system message before each prompt
  bool stream = true;  // stream tokens (live progress; keeps long requests alive)
  int64_t limit = -1;  // only the first N prompts (-1: all)
  std::optional<int64_t> seed;  // sent as seed + i * samples + k for sample k of prompt i
  int samples = 1;              // responses per prompt (length stability); lines get "sample": k when > 1
};

// Reads a prompt file (LongBench-Write / LongWrite-Ruler JSONL: "prompt", "type", "length").
// InputError naming file:line when "prompt" is not a string or "length", when present, is not a
// positive integer.
std::vector<io::Record> load_prompts(const std::filesystem::path& path);

// Runs the (prompt, sample) pairs not yet in `out` and appends their results. Requests that fail (after the
// backend's own retries) are reported in the summary and not written, so a rerun retries them.
// Throws only for failures that make going on pointless (the output cannot be written).
PipelineSummary run_predict(net::ChatBackend& backend, const std::vector<io::Record>& prompts,
                            const std::filesystem::path& out, const PredictOptions& opts);

}  // namespace lw::eval
