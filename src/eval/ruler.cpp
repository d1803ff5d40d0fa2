#include "eval/ruler.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "eval/svg_chart.hpp"
#include "eval/table.hpp"
#include "io/file.hpp"
#include "text/words.hpp"
#include "util/error.hpp"

namespace lw::eval {

bool within_20_percent(int64_t required, int64_t produced) {
  return std::llabs(produced - required) * 5 <= required;  // exact in integers
}

namespace {

RulerRow summarize_rows(int64_t length, const std::vector<const RulerPoint*>& pts) {
  RulerRow row;
  row.length = length;
  row.n = static_cast<int64_t>(pts.size());
  if (pts.empty()) return row;
  double sum = 0, sl = 0;
  int64_t within = 0;
  for (const RulerPoint* p : pts) {
    sum += static_cast<double>(p->produced);
    row.max = std::max(row.max, p->produced);
    if (within_20_percent(p->required, p->produced)) ++within;
    if (p->truncated) ++row.truncated;
    sl += text::length_score(static_cast<double>(p->required), static_cast<double>(p->produced));
  }
  double n = static_cast<double>(row.n);
  row.mean = sum / n;
  row.within20 = static_cast<double>(within) / n;
  row.s_l = sl / n;
  return row;
}

}  // namespace

RulerReport analyze_ruler(const std::vector<io::Record>& preds) {
  RulerReport rep;
  for (const auto& r : preds) {
    RulerPoint p;
    p.prompt = r.get_string_or("prompt", "");
    p.required = r.get_int("length");
    if (p.required <= 0) fail_input("{}: field \"length\": expected a positive integer", r.where());
    if (r.has("response"))
      p.produced = text::count_words(r.get_string("response"));
    else if (r.has("response_length"))
      p.produced = r.get_int("response_length");
    else
      fail_input("{}: field \"response\": missing (expected the model's response)", r.where());
    p.truncated = r.get_string_or("finish_reason", "") == "length";
    rep.points.push_back(std::move(p));
  }
  std::map<int64_t, std::vector<const RulerPoint*>> by_len;
  std::vector<const RulerPoint*> all;
  for (const auto& p : rep.points) {
    by_len[p.required].push_back(&p);
    all.push_back(&p);
  }
  for (const auto& [len, pts] : by_len) rep.rows.push_back(summarize_rows(len, pts));
  rep.overall = summarize_rows(0, all);
  std::vector<LengthSample> samples;
  for (const auto& p : rep.points) samples.push_back({p.prompt, p.required, p.produced});
  StabilityReport st = analyze_stability(samples);
  if (st.max_samples >= 2) rep.stability = std::move(st);
  return rep;
}

namespace {

io::Json row_json(const RulerRow& r) {
  return {{"length", r.length},         {"n", r.n},     {"mean", r.mean},          {"max", r.max},
          {"within_20pct", r.within20}, {"S_l", r.s_l}, {"truncated", r.truncated}};
}

Table ruler_table(const RulerReport& r) {
  Table t;
  t.header = {"Required length", "n", "Mean produced", "Max produced", "Within +-20%", "S_l", "Truncated"};
  auto row = [](const RulerRow& x, const std::string& name) {
    return std::vector<std::string>{name,
                                    std::to_string(x.n),
                                    fmt::format("{:.0f}", x.mean),
                                    std::to_string(x.max),
                                    fmt::format("{:.0f}%", 100 * x.within20),
                                    fmt::format("{:.1f}", x.s_l),
                                    std::to_string(x.truncated)};
  };
  for (const auto& x : r.rows) t.rows.push_back(row(x, std::to_string(x.length)));
  t.rows.push_back(row(r.overall, "all"));
  return t;
}

}  // namespace

io::Json ruler_to_json(const RulerReport& r) {
  io::Json rows = io::Json::array();
  for (const auto& x : r.rows) rows.push_back(row_json(x));
  io::Json pts = io::Json::array();
  for (const auto& p : r.points)
    pts.push_back({{"required", p.required}, {"produced", p.produced}, {"truncated", p.truncated}});
  io::Json overall = row_json(r.overall);
  overall.erase("length");
  io::Json out = {
      {"name", r.name}, {"pred", r.pred_path}, {"overall", overall}, {"lengths", rows}, {"points", pts}};
  if (r.stability) out["stability"] = stability_to_json(*r.stability);
  return out;
}

std::string ruler_markdown(const RulerReport& r) {
  std::string out = fmt::format("# LongWrite-Ruler: {}\n\n", r.name);
  out += fmt::format("{} responses; {:.0f}% within +-20% of the required length; S_l = {:.1f}.\n\n",
                     r.overall.n, 100 * r.overall.within20, r.overall.s_l);
  out += to_markdown(ruler_table(r));
  if (r.stability)
    out += fmt::format("\n## Length stability (up to {} samples per prompt)\n\n", r.stability->max_samples) +
           to_markdown(stability_summary_table(*r.stability)) + "\n" +
           to_markdown(stability_prompts_table(*r.stability));
  out += fmt::format(
      "\nPredictions: `{}`. Within +-20%: |produced - L| <= 0.2 L. Truncated: finish_reason = length.\n",
      r.pred_path);
  return out;
}

std::string ruler_html(const RulerReport& r) {
  ScatterChart c = length_chart("LongWrite-Ruler: produced vs required length (words)", 100, 50000);
  c.bands = {0.8, 1.2};
  for (const auto& p : r.points)
    c.points.push_back(
        {static_cast<double>(p.required), static_cast<double>(p.produced), p.truncated ? 1 : 0,
         fmt::format("required {}, produced {}: {}", p.required, p.produced, shorten(p.prompt, 80))});
  for (const auto& x : r.rows) c.polyline.emplace_back(static_cast<double>(x.length), std::max(1.0, x.mean));
  c.polyline_name = "mean produced";
  std::string b = fmt::format("<h1>LongWrite-Ruler: {}</h1>\n", escape_html(r.name));
  b += fmt::format(
      "<p class=\"headline\">{} responses; <b>{:.0f}%</b> within &#177;20% of the required length; "
      "S<sub>l</sub> = {:.1f}</p>\n",
      r.overall.n, 100 * r.overall.within20, r.overall.s_l);
  b += render_loglog_scatter(c);
  b += "<h2>Per required length</h2>\n" + to_html(ruler_table(r));
  if (r.stability)
    b += fmt::format("<h2>Length stability (up to {} samples per prompt)</h2>\n", r.stability->max_samples) +
         to_html(stability_summary_table(*r.stability)) + to_html(stability_prompts_table(*r.stability));
  b += fmt::format(
      "<p class=\"meta\">Predictions: {}. Within &#177;20%: |produced &#8722; L| &#8804; 0.2 L.</p>\n",
      escape_html(r.pred_path));
  return html_page("LongWrite-Ruler: " + r.name, b);
}

void write_ruler_report(const RulerReport& r, const std::filesystem::path& dir) {
  io::write_files_atomic(dir, {{"ruler.json", ruler_to_json(r).dump(2) + "\n"},
                               {"ruler.md", ruler_markdown(r)},
                               {"ruler.html", ruler_html(r)}});
}

}  // namespace lw::eval
