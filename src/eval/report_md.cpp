#include <fmt/format.h>

#include "eval/report.hpp"
#include "eval/report_tables.hpp"
#include "io/file.hpp"

namespace lw::eval {

namespace {

void problems_md(std::string& out, const std::string& title, const std::vector<Problem>& ps) {
  if (ps.empty()) return;
  out += fmt::format("\n### {} ({})\n\n", title, ps.size());
  out += to_markdown(problems_table(ps));
}

}  // namespace

std::string report_markdown(const ScoreReport& r) {
  std::string out = fmt::format("# LongBench-Write report: {}\n\n", r.name);
  if (r.overall.s)
    out += fmt::format("**S = {}** (S_l = {}, S_q = {})\n\n", format_score(r.overall.s), format_score(r.overall.s_l),
                       format_score(r.overall.s_q));
  else
    out += fmt::format("**S_l = {}**{}\n\n", format_score(r.overall.s_l),
                       r.has_judge ? " (no usable judgements: S_q and S not computed)"
                                   : " (no judgements given: S_q and S not computed)");
  out += fmt::format("Predictions: `{}`", r.pred_path);
  if (!r.judge_path.empty()) out += fmt::format(" · judgements: `{}`", r.judge_path);
  if (!r.data_path.empty()) out += fmt::format(" · prompts: `{}`", r.data_path);
  out += "\n";
  size_t problems = r.missing_predictions.size() + r.judge_failed.size() + r.judge_missing.size();
  if (problems > 0)
    out += fmt::format("\n> **Incomplete:** {} prompts without a prediction, {} judge failures, {} not judged "
                       "(listed at the end). S_l covers the {} predictions; S_q the {} judged.\n",
                       r.missing_predictions.size(), r.judge_failed.size(), r.judge_missing.size(), r.overall.n,
                       r.overall.judged);
  out += "\n## Summary\n\n" + to_markdown(summary_table(r));
  out += "\n## By required length\n\n" + to_markdown(groups_table(r.buckets, "Required length", r.has_judge));
  out += "\n## By type\n\n" + to_markdown(groups_table(r.types, "Type", r.has_judge));
  if (r.has_judge) out += "\n## Quality dimensions\n\n" + to_markdown(quality_table(r.overall));
  if (r.positions) out += "\n## Quality by position\n\n" + to_markdown(positions_table(*r.positions));
  if (r.stability)
    out += fmt::format("\n## Length stability (up to {} samples per prompt)\n\n", r.stability->max_samples) +
           to_markdown(stability_summary_table(*r.stability)) + "\n" +
           to_markdown(stability_prompts_table(*r.stability));
  if (problems > 0 || r.judge_unmatched > 0) {
    out += "\n## Problems\n";
    problems_md(out, "Prompts without a prediction", r.missing_predictions);
    problems_md(out, "Judge gave no usable answer", r.judge_failed);
    problems_md(out, "Not judged", r.judge_missing);
    if (r.judge_unmatched > 0)
      out += fmt::format("\n{} judgements match no prediction (made for other responses) and were ignored.\n",
                         r.judge_unmatched);
  }
  out +=
      "\n---\nS_l: mean over prompts of the length score (100 at the required length, falling linearly to 0 at "
      "4x above or 1/3 below). Each quality dimension: (mean judge score - 1) x 25. S_q: mean of the six. "
      "S = (S_l + S_q) / 2. Truncated: finish_reason = length.\n";
  return out;
}

void write_report(const ScoreReport& r, const std::filesystem::path& dir) {
  io::write_files_atomic(dir, {{"report.json", report_to_json(r).dump(2) + "\n"},
                               {"report.md", report_markdown(r)},
                               {"report.html", report_html(r)}});
}

}  // namespace lw::eval
