#pragma once
// WritingBench scores from critic score lines, aggregated as the benchmark's calculate_scores.py
// does (all on the critic's 1..10 scale; the leaderboard shows them x10):
//   criterion score  = mean of its evaluations (one per criterion unless a file holds several)
//   query score      = sum of all its evaluations / their number
//   Overall          = sum of every evaluation of every query / their number (criterion-weighted,
//                      not the mean of the query scores)
//   domain1, domain2 = mean of the query scores of the queries in that (sub)domain
//   requirement R    = mean of the query scores of the queries in the requirement's subset
//                      (<req>/<req>_subset.jsonl), for style, format and length
//   requirement C    = mean of the criterion scores of the criteria that the subset's
//                      <req>/<req>_subset_C.jsonl names for each of those queries
// Differences, all listed in the report: a line with "judge_error" is not a score; when an index
// has several score lines the last one counts (calculate_scores.py would add all of them to
// Overall and Count); a requirement figure with no query is absent (n/a), not 0; a criterion the
// C file names but the score line lacks is listed instead of stopping the run.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eval/scoring.hpp"
#include "eval/writingbench_data.hpp"
#include "io/jsonl.hpp"

namespace lw::eval {

// The benchmark's six domains, in its report order.
const std::vector<std::string>& writingbench_domains();

struct WbQueryScore {
  int64_t index = 0;
  std::string where, domain1, domain2;
  double mean = 0;      // query score
  int64_t n_evals = 0;  // evaluations summed
  double sum = 0;
  std::map<std::string, double> criteria;  // criterion name -> criterion score
};

struct WbGroup {
  std::string name, parent;  // parent: the domain1 of a domain2 group
  int64_t n = 0;             // queries
  std::optional<double> mean;
};

struct WbRequirementSet {
  std::string name;                                      // "style", "format", "length"
  std::vector<int64_t> indices;                          // <name>_subset.jsonl, in file order
  std::map<int64_t, std::vector<std::string>> criteria;  // <name>_subset_C.jsonl: index -> names
};

struct WbRequirement {
  std::string name;
  int64_t n_queries = 0, n_criteria = 0;
  std::optional<double> r, c;
};

struct WbReport {
  std::string name, judge_path, data_path, requirements_path;
  std::optional<double> overall;
  int64_t count = 0;    // queries scored
  int64_t n_evals = 0;  // evaluations in Overall
  std::vector<WbGroup> domain1, domain2;
  std::vector<WbRequirement> requirements;  // empty without requirement files
  std::vector<WbQueryScore> queries;        // in score-file order
  std::vector<Problem> missing;             // queries of the query file with no score line
  std::vector<Problem> failed;              // lines with "judge_error"
  std::vector<Problem> unknown;             // scored indices absent from the query file
  std::vector<Problem> requirement_problems;
  int64_t superseded = 0;  // earlier score lines of an index scored again later
};

// Reads DIR/{style,format,length}/<name>_subset.jsonl and <name>_subset_C.jsonl (the
// benchmark's requirement folder). InputError naming file:line:field.
std::vector<WbRequirementSet> load_requirement_sets(const std::filesystem::path& dir);

// lines: score lines ({"index", "scores": {name: [{"score": number, ...}]}} or "judge_error").
// data: the query file (domains, missing queries), or null to take "domain1"/"domain2" from the
// lines themselves. InputError naming file:line:field on a malformed line.
WbReport compute_writingbench_scores(const std::vector<io::Record>& lines, const std::vector<WbQuery>* data,
                                     const std::vector<WbRequirementSet>* requirements);

io::Json writingbench_to_json(const WbReport& r);
std::string writingbench_markdown(const WbReport& r);
std::string writingbench_html(const WbReport& r);
// Writes DIR/writingbench.json, .md and .html atomically.
void write_writingbench_report(const WbReport& r, const std::filesystem::path& dir);

}  // namespace lw::eval
