#include "eval/svg_chart.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "eval/table.hpp"

namespace lw::eval {

namespace {

constexpr double kLeft = 72, kTop = 44, kSize = 440, kWidth = 720, kHeight = 560;

std::string tick_label(double v) {
  if (v >= 1000 && std::fmod(v, 1000) == 0) return fmt::format("{}k", static_cast<int64_t>(v / 1000));
  if (v >= 1000) return fmt::format("{:.1f}k", v / 1000);
  return fmt::format("{}", static_cast<int64_t>(v));
}

}  // namespace

std::string palette_color(size_t i) {
  static const char* colors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                 "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return colors[i % (sizeof(colors) / sizeof(colors[0]))];
}

ScatterChart length_chart(std::string title, double lo, double hi) {
  ScatterChart c;
  c.title = std::move(title);
  c.x_label = "Required length (words, log scale)";
  c.y_label = "Produced length (words, log scale)";
  c.lo = lo;
  c.hi = hi;
  c.series = {{"finished", palette_color(0), ""}, {"truncated (max tokens)", palette_color(1), ""}};
  return c;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> out;
  for (double p = std::pow(10.0, std::floor(std::log10(lo))); p <= hi; p *= 10)
    for (double m : {1.0, 2.0, 5.0}) {
      double v = m * p;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push_back(v);
    }
  return out;
}

namespace {
std::string dash_attr(const std::string& dash) {
  return dash.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", escape_html(dash));
}

// Greedy word wrap: lines of at most `width` characters (a longer word gets a line of its own).
std::vector<std::string> wrap_words(std::string_view text, size_t width) {
  std::vector<std::string> lines(1);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(pos, end - pos);
    if (!lines.back().empty() && lines.back().size() + 1 + word.size() > width) lines.emplace_back();
    if (!lines.back().empty()) lines.back() += ' ';
    lines.back() += word;
    pos = end + 1;
  }
  return lines;
}
}  // namespace

std::string render_loglog_scatter(const ScatterChart& c) {
  const double llo = std::log10(c.lo), lhi = std::log10(c.hi);
  auto frac = [&](double v) { return (std::log10(std::clamp(v, c.lo, c.hi)) - llo) / (lhi - llo); };
  auto px = [&](double v) { return kLeft + frac(v) * kSize; };
  auto py = [&](double v) { return kTop + kSize - frac(v) * kSize; };
  auto inside = [&](double v) { return v >= c.lo && v <= c.hi; };

  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
      "role=\"img\" aria-label=\"{2}\">\n",
      kWidth, kHeight, escape_html(c.title));
  s += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" />\n", kWidth, kHeight);
  s += fmt::format("<text x=\"{}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", kLeft,
                   escape_html(c.title));

  // Grid and ticks; both bounds get a tick, replacing a 1-2-5 tick that would crowd them.
  std::vector<double> ticks = log_ticks(c.lo, c.hi);
  if (!ticks.empty() && ticks.back() < c.hi && px(c.hi) - px(ticks.back()) < 24) ticks.pop_back();
  if (ticks.empty() || ticks.back() < c.hi) ticks.push_back(c.hi);
  if (ticks.size() > 1 && ticks.front() > c.lo && px(ticks.front()) - px(c.lo) < 24)
    ticks.erase(ticks.begin());
  if (ticks.front() > c.lo) ticks.insert(ticks.begin(), c.lo);
  s += "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double t : ticks) {
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" />\n", px(t), kTop,
                     kTop + kSize);
    s += fmt::format("<line x1=\"{1:.1f}\" y1=\"{0:.1f}\" x2=\"{2:.1f}\" y2=\"{0:.1f}\" />\n", py(t), kLeft,
                     kLeft + kSize);
  }
  s += "</g>\n<g font-size=\"11\" fill=\"#444\">\n";
  for (double t : ticks) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", px(t),
                     kTop + kSize + 16, tick_label(t));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6, py(t) + 4,
                     tick_label(t));
  }
  s += "</g>\n";
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\" />\n",
                   kLeft, kTop, kSize, kSize);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n",
                   kLeft + kSize / 2, kTop + kSize + 40, escape_html(c.x_label));
  s += fmt::format(
      "<text x=\"0\" y=\"0\" text-anchor=\"middle\" font-size=\"13\" transform=\"translate(18 {:.1f}) "
      "rotate(-90)\">{}</text>\n",
      kTop + kSize / 2, escape_html(c.y_label));

  // Reference lines y = f*x, clipped to the square.
  auto ref_line = [&](double f, const char* style) {
    double x0 = std::max(c.lo, c.lo / f), x1 = std::min(c.hi, c.hi / f);
    if (x0 >= x1) return;
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" {} />\n", px(x0),
                     py(x0 * f), px(x1), py(x1 * f), style);
  };
  if (c.diagonal) ref_line(1.0, "stroke=\"#555\" stroke-width=\"1.5\"");
  for (double f : c.bands) ref_line(f, "stroke=\"#999\" stroke-width=\"1\" stroke-dasharray=\"5 4\"");

  // "x,y x,y ..." in pixels, for a <polyline>.
  auto points_attr = [&](const std::vector<std::pair<double, double>>& xy) {
    std::string pts;
    for (const auto& [x, y] : xy) pts += fmt::format("{}{:.1f},{:.1f}", pts.empty() ? "" : " ", px(x), py(y));
    return pts;
  };
  if (c.polyline.size() >= 2) {
    s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#D55E00\" stroke-width=\"2\" />\n",
                     points_attr(c.polyline));
  }

  if (c.connect_series) {
    for (size_t i = 0; i < c.series.size(); ++i) {
      std::vector<std::pair<double, double>> xy;
      for (const auto& p : c.points)
        if (p.series == static_cast<int>(i) && inside(p.x) && inside(p.y)) xy.emplace_back(p.x, p.y);
      if (xy.size() < 2) continue;
      std::sort(xy.begin(), xy.end());
      s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} />\n",
                       points_attr(xy), c.series[i].color, dash_attr(c.series[i].dash));
    }
  }

  // Points, each with a tooltip; out-of-range values hollow on the border.
  bool any_clamped = false;
  s += "<g>\n";
  for (const auto& p : c.points) {
    std::string color = p.series >= 0 && static_cast<size_t>(p.series) < c.series.size()
                            ? c.series[static_cast<size_t>(p.series)].color
                            : palette_color(static_cast<size_t>(std::max(0, p.series)));
    bool clamped = !inside(p.x) || !inside(p.y);
    any_clamped |= clamped;
    std::string paint = clamped ? fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"", color)
                                : fmt::format("fill=\"{}\" fill-opacity=\"0.75\" stroke=\"none\"", color);
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" {}><title>{}</title></circle>\n", px(p.x),
                     py(p.y), paint, escape_html(p.label));
  }
  s += "</g>\n";

  // Legend.
  double lx = kLeft + kSize + 24, ly = kTop + 10;
  s += "<g font-size=\"12\">\n";
  for (size_t i = 0; i < c.series.size(); ++i, ly += 20) {
    if (c.connect_series)
      s += fmt::format(
          "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\"{} "
          "/>\n",
          lx - 2, ly - 4, lx + 14, ly - 4, c.series[i].color, dash_attr(c.series[i].dash));
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\" />\n", lx + 6, ly - 4,
                     c.series[i].color);
    // the whole name, wrapped at spaces into lines that fit right of the plot (~24 characters)
    const auto lines = wrap_words(c.series[i].name, 24);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">", lx + 16, ly);
    for (size_t k = 0; k < lines.size(); ++k)
      s +=
          fmt::format("<tspan x=\"{:.1f}\" dy=\"{}\">{}</tspan>", lx + 16, k ? 14 : 0, escape_html(lines[k]));
    s += "</text>\n";
    ly += 14.0 * static_cast<double>(lines.size() - 1);
  }
  if (c.diagonal) {
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#555\" stroke-width=\"1.5\" "
        "/>\n",
        lx, ly - 4, lx + 12, ly - 4);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">y = x</text>\n", lx + 16, ly);
    ly += 20;
  }
  for (double f : c.bands) {
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#999\" stroke-dasharray=\"5 "
        "4\" />\n",
        lx, ly - 4, lx + 12, ly - 4);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">y = {:g} x</text>\n", lx + 16, ly, f);
    ly += 20;
  }
  if (c.polyline.size() >= 2) {
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#D55E00\" stroke-width=\"2\" "
        "/>\n",
        lx, ly - 4, lx + 12, ly - 4);
    s +=
        fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", lx + 16, ly, escape_html(c.polyline_name));
    ly += 20;
  }
  if (any_clamped) {
    s += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.5\" />\n",
        lx + 6, ly - 4);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">outside {}..{},</text>\n", lx + 16, ly,
                     tick_label(c.lo), tick_label(c.hi));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">drawn on the border</text>\n", lx + 16, ly + 14);
  }
  s += "</g>\n</svg>\n";
  return s;
}

}  // namespace lw::eval
