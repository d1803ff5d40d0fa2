#include "eval/report_tables.hpp"

#include <fmt/format.h>

namespace lw::eval {

Table summary_table(const ScoreReport& r) {
  Table t;
  t.header = {"Model", "S_l", "S_q", "S", "Prompts", "Judged", "Truncated", "Empty"};
  t.rows.push_back({r.name, format_score(r.overall.s_l), format_score(r.overall.s_q), format_score(r.overall.s),
                    std::to_string(r.overall.n), r.has_judge ? std::to_string(r.overall.judged) : "n/a",
                    std::to_string(r.overall.truncated), std::to_string(r.overall.empty)});
  return t;
}

Table groups_table(const std::vector<GroupStats>& groups, const std::string& first_header, bool with_quality) {
  Table t;
  t.header = {first_header, "n", "S_l"};
  if (with_quality) t.header.insert(t.header.end(), {"S_q", "S"});
  t.header.insert(t.header.end(), {"Mean required", "Mean produced", "Truncated", "Empty"});
  for (const auto& g : groups) {
    std::vector<std::string> row = {g.name, std::to_string(g.n), format_score(g.s_l)};
    if (with_quality) row.insert(row.end(), {format_score(g.s_q), format_score(g.s)});
    row.insert(row.end(), {g.n ? fmt::format("{:.0f}", g.mean_required) : "n/a",
                           g.n ? fmt::format("{:.0f}", g.mean_produced) : "n/a", std::to_string(g.truncated),
                           std::to_string(g.empty)});
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table quality_table(const GroupStats& overall) {
  Table t;
  t.header = {"Dimension", "Score (0-100)", "Mean (1-5)"};
  for (int d = 0; d < kNumDimensions; ++d) {
    const auto& v = overall.dims[d];
    t.rows.push_back({std::string(kDimensions[d]), format_score(v), v ? fmt::format("{:.2f}", *v / 25.0 + 1.0) : "n/a"});
  }
  t.rows.push_back({"S_q (mean of the six)", format_score(overall.s_q), ""});
  return t;
}

Table positions_table(const PositionStats& p) {
  Table t;
  t.header = {"Position"};
  for (int i = 1; i <= p.k; ++i) t.header.push_back(fmt::format("{} of {}", i, p.k));
  t.header.push_back("Drop (last - first)");
  std::vector<std::string> sq = {"S_q"}, n = {"Parts judged"};
  for (size_t i = 0; i < p.s_q.size(); ++i) {
    sq.push_back(format_score(p.s_q[i]));
    n.push_back(std::to_string(p.n[i]));
  }
  sq.push_back(p.drop ? fmt::format("{:+.1f}", *p.drop) : "n/a");
  n.push_back(std::to_string(p.responses) + " responses");
  t.rows = {sq, n};
  return t;
}

Table problems_table(const std::vector<Problem>& ps) {
  Table t;
  t.header = {"Where", "Prompt", "Reason"};
  t.numeric = {false, false, false};
  for (const auto& p : ps) t.rows.push_back({p.where, shorten(p.prompt, 80), p.reason});
  return t;
}

}  // namespace lw::eval
