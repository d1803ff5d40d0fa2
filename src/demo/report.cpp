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

namespace {

// The ruler table: produced length per required length, both models (shared by report.md and .html).
eval::Table ruler_table(const DemoResult& r) {
  eval::Table t;
  t.header = {"required L", "capped: mean", "capped: max", "long: mean", "long: max"};
  t.numeric.assign(5, true);
  for (size_t i = 0; i < r.capped.lengths.size(); ++i) {
    const double lm = i < r.long_model.mean_produced.size() ? r.long_model.mean_produced[i] : 0;
    const int64_t lx = i < r.long_model.max_produced.size() ? r.long_model.max_produced[i] : 0;
    t.rows.push_back({fmt::format("{}", r.capped.lengths[i]), fmt::format("{:.0f}", r.capped.mean_produced[i]),
                      fmt::format("{}", r.capped.max_produced[i]), fmt::format("{:.0f}", lm), fmt::format("{}", lx)});
  }
  return t;
}

std::string wall_time(const DemoResult& r) {
  std::string s = fmt::format("Wall time of this run: {:.0f} s", r.seconds);
  if (!r.stage_seconds.empty()) {
    s += " (";
    for (size_t i = 0; i < r.stage_seconds.size(); ++i)
      s += fmt::format("{}{} {:.0f} s", i ? ", " : "", r.stage_seconds[i].first, r.stage_seconds[i].second);
    s += ")";
  }
  return s + ".";
}

}  // namespace

std::string demo_markdown(const DemoResult& r) {
  std::string md = fmt::format(
      "# The miniature LongWriter ({})\n\n"
      "Two tiny Llama models trained from scratch on the same synthetic instructions: **capped** saw "
      "outputs of at most {} words, **long** also saw outputs up to {} words.\n\n",
      r.scale.name, r.scale.short_cap, r.scale.long_cap);
  md += eval::to_markdown(ruler_table(r));
  md += fmt::format("\nS_l (length score, 0..100): capped **{:.1f}**, long **{:.1f}**.\n\n", r.capped.s_l,
                    r.long_model.s_l);
  md += fmt::format("AgentWrite with the long model: target {} words, produced {} words.\n\n", r.write_target,
                    r.write_produced);
  return md + wall_time(r) + "\n";
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
  std::string body = fmt::format(
      "<h1>The miniature LongWriter ({})</h1>\n<p>Two tiny Llama models trained from scratch on the same "
      "synthetic instructions: <b>capped</b> saw outputs of at most {} words, <b>long</b> also saw outputs up "
      "to {} words.</p>\n",
      eval::escape_html(r.scale.name), r.scale.short_cap, r.scale.long_cap);
  body += "<h2>Produced vs required length</h2>\n" + eval::to_html(ruler_table(r));
  body += fmt::format("<p class=\"headline\">S_l (length score, 0..100): capped <b>{:.1f}</b>, long <b>{:.1f}</b></p>\n",
                      r.capped.s_l, r.long_model.s_l);
  body += ruler_svg(r) + "\n";
  body += fmt::format("<h2>AgentWrite</h2>\n<p>With the long model: target {} words, produced {} words "
                      "(<a href=\"write.md\">the text</a>).</p>\n",
                      r.write_target, r.write_produced);
  body += "<p class=\"meta\">" + eval::escape_html(wall_time(r)) + "</p>\n";
  return eval::html_page("longwriter demo", body);
}

void write_demo_report(const DemoResult& r, const std::filesystem::path& dir) {
  io::write_file_atomic(dir / "report.json", demo_json(r).dump(2));
  io::write_file_atomic(dir / "report.md", demo_markdown(r));
  io::write_file_atomic(dir / "report.html", demo_html(r));
  io::write_file_atomic(dir / "report.svg", ruler_svg(r) + "\n");  // the chart alone, for docs
}

}  // namespace lw::demo
