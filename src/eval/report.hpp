#pragma once
// The three views of a ScoreReport written by `bench score`:
//   report.json  machine-readable (S_l, S_q, S, per-bucket and per-type figures, problems, items)
//   report.md    Markdown tables
//   report.html  one self-contained page: the tables plus the log-log length scatter (SVG)
#include <filesystem>
#include <string>

#include "eval/scoring.hpp"
#include "eval/svg_chart.hpp"
#include "io/jsonl.hpp"

namespace lw::eval {

io::Json report_to_json(const ScoreReport& r);
std::string report_markdown(const ScoreReport& r);
std::string report_html(const ScoreReport& r);

// Writes DIR/report.json, DIR/report.md and DIR/report.html, each atomically.
void write_report(const ScoreReport& r, const std::filesystem::path& dir);

// The length scatter of report.html.
ScatterChart length_scatter(const ScoreReport& r);

// JSON for one group (shared with compare and tests).
io::Json group_to_json(const GroupStats& g);

}  // namespace lw::eval
