#pragma once
// Length stability over several sampled responses per prompt (`bench predict --samples N`,
// `ruler --samples N`): how much the length of a model's answers to one prompt varies.
// Per prompt (its samples grouped by prompt text):
//   cv        = s / m, the coefficient of variation of the word count: m the mean, s the sample
//               standard deviation (n - 1 in the denominator); absent for n < 2 or m = 0
//   within20  = share of its samples with |produced - required| <= 0.2 required
//   S_l       = mean (and sample standard deviation) of the samples' length scores
// Overall: mean cv over the prompts that have one, share within +-20% and mean S_l over all
// samples, and the mean per-prompt S_l standard deviation.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/table.hpp"
#include "io/jsonl.hpp"

namespace lw::eval {

struct LengthSample {
  std::string prompt;
  int64_t required = 0, produced = 0;
};

struct StabilityRow {
  std::string prompt;
  int64_t required = 0, n = 0;
  double mean = 0, sd = 0;  // words
  std::optional<double> cv;
  double within20 = 0;
  double s_l = 0, s_l_sd = 0;
};

struct StabilityReport {
  std::vector<StabilityRow> prompts;  // first-seen order
  int64_t samples = 0;                // all samples
  int64_t max_samples = 0;            // most samples of one prompt
  std::optional<double> mean_cv;
  double within20 = 0, s_l = 0, mean_s_l_sd = 0;
};

StabilityReport analyze_stability(const std::vector<LengthSample>& samples);

io::Json stability_to_json(const StabilityReport& r);
// Summary line and per-prompt table for report.md / report.html / ruler.*.
Table stability_summary_table(const StabilityReport& r);
Table stability_prompts_table(const StabilityReport& r);

}  // namespace lw::eval
