#pragma once
// Inline SVG charts for the HTML reports: a log-log scatter of required vs produced length with the
// y = x line, like the LongWriter paper's figure.
#include <string>
#include <utility>
#include <vector>

namespace lw::eval {

struct ScatterSeries {
  std::string name;
  std::string color;  // CSS colour
  std::string dash;   // stroke-dasharray of its line with connect_series (empty: solid)
};

struct ScatterPoint {
  double x = 0, y = 0;  // values outside [lo, hi] are drawn hollow on the border
  int series = 0;
  std::string label;  // tooltip text
};

struct ScatterChart {
  std::string title, x_label, y_label;
  double lo = 50, hi = 25000;  // both axes, log scale
  std::vector<ScatterSeries> series;
  std::vector<ScatterPoint> points;
  bool diagonal = true;                             // the y = x line
  std::vector<double> bands;                        // dashed lines y = f * x (e.g. 0.8, 1.2)
  std::vector<std::pair<double, double>> polyline;  // e.g. the mean per required length
  std::string polyline_name;
  bool connect_series = false;  // join each series' points in x order (curves, not clouds)
};

// The produced-vs-required length chart of the score and ruler reports: log axes over [lo, hi],
// series 0 "finished" and 1 "truncated (max tokens)".
ScatterChart length_chart(std::string title, double lo, double hi);

// A standalone <svg> element (XML-well-formed, escaped), sized 720x560 with a viewBox.
std::string render_loglog_scatter(const ScatterChart& chart);

// The colour of series i in a fixed, colour-blind-friendly palette.
std::string palette_color(size_t i);

// Tick values 1-2-5 x 10^k in [lo, hi] (exposed for tests).
std::vector<double> log_ticks(double lo, double hi);

}  // namespace lw::eval
