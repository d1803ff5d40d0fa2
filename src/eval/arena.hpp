#pragma once
// bench arena, the rating half. A *battle* is one prompt judged for one pair of models in both
// orders; model a's score in it is the mean of its two results (win 1, tie 0.5, loss 0), so a judge
// that always prefers the first position gives 0.5: a tie. Battles feed a Bradley-Terry fit (with
// `prior` virtual ties per pair, so that a model that never won still gets a finite rating),
// reported on the Elo scale, with bootstrap confidence intervals: the battles are resampled with
// replacement `bootstrap` times (seeded), the fit redone, and the 2.5th and 97.5th percentiles of
// each rating kept (nearest rank).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "eval/bradley_terry.hpp"
#include "io/jsonl.hpp"

namespace lw::eval {

struct Battle {
  size_t a = 0, b = 0;  // model indices
  double score_a = 0;   // 0, 0.25, 0.5, 0.75 or 1
};

struct ArenaResult {
  std::vector<std::string> models;
  std::vector<double> elo, ci_lo, ci_hi;
  std::vector<int64_t> wins, losses, ties;  // battles with score_a above, below, at 0.5
  WinMatrix score;                          // [i][j]: mean score of i in its battles with j
  std::vector<std::vector<int64_t>> games;  // [i][j]: battles between i and j
  int64_t battles = 0, judgements = 0, unpaired = 0, failed = 0;
  int64_t inconsistent = 0;   // battles whose two orders disagree
  double first_position = 0;  // share of decisive verdicts that picked the first answer
  int bootstrap = 0;
  uint64_t seed = 0;
  double prior = 0;
};

// Battles from the judgement lines (the last usable line per (first, second, prompt) counts;
// a prompt judged in one order only is counted in `unpaired`).
std::vector<Battle> collect_battles(const std::vector<std::string>& models,
                                    const std::vector<io::Record>& lines, ArenaResult* stats);

// The win matrix of some battles (score_a to a, 1 - score_a to b).
WinMatrix battle_matrix(size_t n_models, const std::vector<Battle>& battles);

// Ratings with bootstrap intervals (bootstrap = 0: none, the bounds equal the rating).
ArenaResult analyze_arena(const std::vector<std::string>& models, const std::vector<io::Record>& lines,
                          int bootstrap, uint64_t seed, double prior);

// Percentile intervals of bootstrap refits (exposed for tests).
void bootstrap_intervals(const std::vector<Battle>& battles, size_t n_models, int rounds, uint64_t seed,
                         double prior, std::vector<double>* lo, std::vector<double>* hi);

io::Json arena_to_json(const ArenaResult& r);
std::string arena_markdown(const ArenaResult& r);
std::string arena_html(const ArenaResult& r);
// DIR/arena.json, arena.md, arena.html.
void write_arena_report(const ArenaResult& r, const std::filesystem::path& dir);

}  // namespace lw::eval
