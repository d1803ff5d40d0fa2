#pragma once
// The tables shared by report.md and report.html.
#include <vector>

#include "eval/scoring.hpp"
#include "eval/table.hpp"

namespace lw::eval {

Table summary_table(const ScoreReport& r);
// One row per group: n, S_l, S_q, S, mean required/produced, truncated, empty.
Table groups_table(const std::vector<GroupStats>& groups, const std::string& first_header, bool with_quality);
// One row per dimension: score on 0..100 and mean on 1..5.
Table quality_table(const GroupStats& overall);
Table problems_table(const std::vector<Problem>& ps);
// S_q by relative position of the parts (bench judge --segments) and the drop, last minus first.
Table positions_table(const PositionStats& p);

}  // namespace lw::eval
