#include "demo/report.hpp"

#include <fmt/format.h>

#include "eval/svg_chart.hpp"
#include "eval/table.hpp"
#include "io/file.hpp"

namespace lw::demo {

namespace {

nlohmann::json curve_json(const RulerCurve& c) {
  return {{"model", c.model}, {"lengths", c.lengths}, {"mean_produced", c.mean_produced},
          {"max_produced", c.max_produced}, {"S_l", c.s_l}};
}

}  // namespace

nlohmann::json demo_json(const DemoResult& r) {
  nlohmann::json stages = nlohmann::json::object();
  for (auto& [n, s] : r.stage_seconds) stages[n] = s;
  return {{"scale", r.scale.to_json()},
          {"capped", curve_json(r.capped)},
          {"long", curve_json(r.long_model)},
          {"write", {{"target", r.write_target}, {"produced", r.write_produced}}},
          {"seconds", r.seconds},
          {"stage_seconds", stages}};
}

std::string demo_markdown(const DemoResult& r) {
  std::string md = fmt::format(
      "# The miniature LongWriter ({})\n\n"
      "Two tiny Llama models trained from scratch on the same synthetic instructions: **capped** saw "
      "outputs of at most {} words, **long** also saw outputs up to {} words.\n\n"
      "| required L | capped: mean | capped: max | long: mean | long: max |\n|---:|---:|---:|---:|---:|\n",
      r.scale.name, r.scale.short_cap, r.scale.long_cap);
  for (size_t i = 0; i < r.capped.lengths.size(); ++i) {
    double lm = i < r.long_model.mean_produced.size() ? r.long_model.mean_produced[i] : 0;
    int64_t lx = i < r.long_model.max_produced.size() ? r.long_model.max_produced[i] : 0;
    md += fmt::format("| {} | {:.0f} | {} | {:.0f} | {} |\n", r.capped.lengths[i], r.capped.mean_produced[i],
                      r.capped.max_produced[i], lm, lx);
  }
  md += fmt::format("\nS_l (length score, 0..100): capped **{:.1f}**, long **{:.1f}**.\n\n", r.capped.s_l,
                    r.long_model.s_l);
  md += fmt::format("AgentWrite with the long model: target {} words, produced {} words.\n\n", r.write_target,
                    r.write_produced);
  md += fmt::format("Wall time of this run: {:.0f} s", r.seconds);
  if (!r.stage_seconds.empty()) {
    md += " (";
    for (size_t i = 0; i < r.stage_seconds.size(); ++i)
      md += fmt::format("{}{} {:.0f} s", i ? ", " : "", r.stage_seconds[i].first, r.stage_seconds[i].second);
    md += ")";
  }
  md += ".\n";
  return md;
}

namespace {

std::string ruler_svg(const DemoResult& r) {
  eval::ScatterChart ch;
  ch.title = "Produced vs required length (mean per L)";
  ch.x_label = "required length (words)";
  ch.y_label = "produced length (words)";
  ch.lo = 10;
  ch.hi = std::max<double>(1000, static_cast<double>(r.scale.ruler_lengths.empty() ? 1000 : r.scale.ruler_lengths.back()) * 2);
  ch.series = {{fmt::format("capped (outputs <= {} words)", r.scale.short_cap), eval::palette_color(0)},
               {fmt::format("long (outputs <= {} words)", r.scale.long_cap), eval::palette_color(1)}};
  for (int s = 0; s < 2; ++s) {
    const RulerCurve& c = s == 0 ? r.capped : r.long_model;
    for (size_t i = 0; i < c.lengths.size(); ++i)
      ch.points.push_back({static_cast<double>(c.lengths[i]), std::max(1.0, c.mean_produced[i]), s,
                           fmt::format("{}: L={} mean={:.0f}", c.model, c.lengths[i], c.mean_produced[i])});
  }
  return eval::render_loglog_scatter(ch);
}

}  // namespace

std::string demo_html(const DemoResult& r) {
  std::string md = demo_markdown(r);
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>longwriter demo</title>"
         "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}</style></head><body>\n"
         "<pre>" + eval::escape_html(md) + "</pre>\n" + ruler_svg(r) + "\n</body></html>\n";
}

void write_demo_report(const DemoResult& r, const std::filesystem::path& dir) {
  io::write_file_atomic(dir / "report.json", demo_json(r).dump(2));
  io::write_file_atomic(dir / "report.md", demo_markdown(r));
  io::write_file_atomic(dir / "report.html", demo_html(r));
  io::write_file_atomic(dir / "report.svg", ruler_svg(r) + "\n");  // the chart alone, for docs
}

}  // namespace lw::demo
