#include "eval/compare.hpp"

#include <set>

#include <fmt/format.h>

#include "eval/judge_parse.hpp"
#include "eval/svg_chart.hpp"
#include "eval/table.hpp"
#include "io/file.hpp"
#include "util/error.hpp"

namespace lw::eval {

namespace fs = std::filesystem;

namespace {

std::optional<double> num(const io::Json& j, const std::string& key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string cell_int(const io::Json& j, const std::string& key) {
  auto v = num(j, key);
  return v ? fmt::format("{:.0f}", *v) : "n/a";
}

// The group named `name` in report[list], or null.
const io::Json* group(const io::Json& report, const std::string& list, const std::string& name) {
  for (const auto& g : report.at(list))
    if (g.value("name", "") == name) return &g;
  return nullptr;
}

bool any_quality(const std::vector<CompareEntry>& es) {
  for (const auto& e : es)
    if (num(e.report, "S_q")) return true;
  return false;
}

Table overall_table(const std::vector<CompareEntry>& es) {
  Table t;
  t.header = {"Model", "S_l", "S_q", "S", "Prompts", "Judged", "Truncated", "Empty", "Complete"};
  for (const auto& e : es) {
    const io::Json& c = e.report.at("counts");
    t.rows.push_back({e.name, format_score(num(e.report, "S_l")), format_score(num(e.report, "S_q")),
                      format_score(num(e.report, "S")), cell_int(c, "predictions"), cell_int(c, "judged"),
                      cell_int(c, "truncated"), cell_int(c, "empty"),
                      e.report.value("complete", false) ? "yes" : "no"});
  }
  return t;
}

// Models as rows, the groups of report[list] (union, first-seen order) as columns, metric per cell.
Table metric_table(const std::vector<CompareEntry>& es, const std::string& list, const std::string& metric) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& e : es)
    for (const auto& g : e.report.at(list)) {
      std::string n = g.value("name", "");
      if (seen.insert(n).second) names.push_back(n);
    }
  Table t;
  t.header = {"Model"};
  t.header.insert(t.header.end(), names.begin(), names.end());
  for (const auto& e : es) {
    std::vector<std::string> row = {e.name};
    for (const auto& n : names) {
      const io::Json* g = group(e.report, list, n);
      row.push_back(g ? format_score(num(*g, metric)) : "n/a");
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table dims_table(const std::vector<CompareEntry>& es) {
  Table t;
  t.header = {"Model"};
  for (auto d : kDimensions) t.header.emplace_back(d);
  for (const auto& e : es) {
    std::vector<std::string> row = {e.name};
    const io::Json q = e.report.value("quality", io::Json::object());
    for (auto d : kDimensions) row.push_back(format_score(num(q, std::string(d))));
    t.rows.push_back(std::move(row));
  }
  return t;
}

struct Section {
  std::string title;
  Table table;
};

std::vector<Section> sections(const std::vector<CompareEntry>& es) {
  std::vector<Section> out;
  out.push_back({"Overall", overall_table(es)});
  out.push_back({"S_l by required length", metric_table(es, "buckets", "S_l")});
  bool q = any_quality(es);
  if (q) {
    out.push_back({"S_q by required length", metric_table(es, "buckets", "S_q")});
    out.push_back({"S by required length", metric_table(es, "buckets", "S")});
    out.push_back({"S by type", metric_table(es, "types", "S")});
    out.push_back({"Quality dimensions (0-100)", dims_table(es)});
  } else {
    out.push_back({"S_l by type", metric_table(es, "types", "S_l")});
  }
  return out;
}

}  // namespace

CompareEntry load_report(const fs::path& dir_or_file) {
  fs::path file = fs::is_directory(dir_or_file) ? dir_or_file / "report.json" : dir_or_file;
  CompareEntry e;
  e.source = file.string();
  std::string text = io::read_file(file);
  e.report = io::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!e.report.is_object())
    fail_input("{}: not valid JSON (expected the report.json written by `longwriter bench score`)", e.source);
  for (const char* key : {"S_l", "counts", "buckets", "types"})
    if (!e.report.contains(key))
      fail_input("{}: field \"{}\": missing (expected a `longwriter bench score` report)", e.source, key);
  if (!e.report.at("buckets").is_array() || !e.report.at("types").is_array() ||
      !e.report.at("counts").is_object())
    fail_input("{}: fields \"buckets\"/\"types\"/\"counts\" have the wrong type", e.source);
  e.name = e.report.value("name", "");
  if (e.name.empty()) {
    fs::path dir = fs::is_directory(dir_or_file) ? dir_or_file : dir_or_file.parent_path();
    e.name = fs::absolute(dir).lexically_normal().filename().string();
  }
  return e;
}

std::string compare_markdown(const std::vector<CompareEntry>& es) {
  std::string out = "# LongBench-Write: comparison\n";
  for (const auto& s : sections(es)) out += "\n## " + s.title + "\n\n" + to_markdown(s.table);
  out += "\nReports:\n";
  for (const auto& e : es) out += fmt::format("- {}: `{}`\n", e.name, e.source);
  return out;
}

std::string compare_html(const std::vector<CompareEntry>& es) {
  std::string b = "<h1>LongBench-Write: comparison</h1>\n";
  auto secs = sections(es);
  b += "<h2>" + escape_html(secs[0].title) + "</h2>\n" + to_html(secs[0].table);
  ScatterChart c;
  c.title = "Required vs produced length (words)";
  c.x_label = "Required length (words, log scale)";
  c.y_label = "Produced length (words, log scale)";
  for (size_t i = 0; i < es.size(); ++i) {
    c.series.push_back({es[i].name, palette_color(i), ""});
    auto items = es[i].report.find("items");
    if (items == es[i].report.end() || !items->is_array()) continue;
    for (const auto& it : *items) {
      auto req = num(it, "required"), prod = num(it, "produced");
      if (!req || !prod) continue;
      c.points.push_back({*req, *prod, static_cast<int>(i),
                          fmt::format("{}: required {:.0f}, produced {:.0f}", es[i].name, *req, *prod)});
    }
  }
  b += "<h2>Length: required vs produced</h2>\n" + render_loglog_scatter(c);
  for (size_t i = 1; i < secs.size(); ++i)
    b += "<h2>" + escape_html(secs[i].title) + "</h2>\n" + to_html(secs[i].table);
  b += "<p class=\"meta\">Reports:";
  for (const auto& e : es) b += fmt::format(" {} ({});", escape_html(e.name), escape_html(e.source));
  b += "</p>\n";
  return html_page("LongBench-Write comparison", b);
}

void write_compare(const std::vector<CompareEntry>& es, const fs::path& dir) {
  io::write_files_atomic(dir, {{"compare.md", compare_markdown(es)}, {"compare.html", compare_html(es)}});
}

}  // namespace lw::eval
