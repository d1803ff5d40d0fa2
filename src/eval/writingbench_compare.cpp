#include "eval/writingbench_compare.hpp"

#include <set>

#include <fmt/format.h>

#include "eval/table.hpp"
#include "io/file.hpp"
#include "util/error.hpp"

namespace lw::eval {

namespace fs = std::filesystem;

namespace {

std::string cell(const io::Json& j, const std::string& key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? fmt::format("{:.2f}", it->get<double>()) : "n/a";
}

const io::Json* find_named(const io::Json& list, const std::string& name) {
  for (const auto& g : list)
    if (g.value("name", "") == name) return &g;
  return nullptr;
}

std::vector<std::string> names_of(const std::vector<CompareEntry>& es, const std::string& list) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& e : es)
    for (const auto& g : e.report.at(list))
      if (seen.insert(g.value("name", "")).second) names.push_back(g.value("name", ""));
  return names;
}

struct Section {
  std::string title;
  Table table;
};

std::vector<Section> sections(const std::vector<CompareEntry>& es) {
  std::vector<Section> out;
  Table overall;
  overall.header = {"Model", "Overall (1-10)", "Queries", "Evaluations", "Complete"};
  for (const auto& e : es)
    overall.rows.push_back({e.name, cell(e.report, "overall"), std::to_string(e.report.value("count", 0)),
                            std::to_string(e.report.value("evaluations", 0)),
                            e.report.value("complete", false) ? "yes" : "no"});
  out.push_back({"Overall", overall});

  Table d1;
  d1.header = {"Model"};
  auto domains = names_of(es, "domain1");
  d1.header.insert(d1.header.end(), domains.begin(), domains.end());
  for (const auto& e : es) {
    std::vector<std::string> row = {e.name};
    for (const auto& d : domains) {
      const io::Json* g = find_named(e.report.at("domain1"), d);
      row.push_back(g ? cell(*g, "score") : "n/a");
    }
    d1.rows.push_back(std::move(row));
  }
  out.push_back({"By domain", d1});

  auto reqs = names_of(es, "requirements");
  if (!reqs.empty()) {
    Table rq;
    rq.header = {"Model"};
    for (const auto& r : reqs) {
      rq.header.push_back(r + " R");
      rq.header.push_back(r + " C");
    }
    for (const auto& e : es) {
      std::vector<std::string> row = {e.name};
      for (const auto& r : reqs) {
        const io::Json* g = find_named(e.report.at("requirements"), r);
        row.push_back(g ? cell(*g, "R") : "n/a");
        row.push_back(g ? cell(*g, "C") : "n/a");
      }
      rq.rows.push_back(std::move(row));
    }
    out.push_back({"Requirements", rq});
  }

  Table d2;
  d2.header = {"Domain", "Subdomain"};
  for (const auto& e : es) d2.header.push_back(e.name);
  d2.numeric = std::vector<bool>(d2.header.size(), true);
  d2.numeric[0] = d2.numeric[1] = false;
  std::vector<std::pair<std::string, std::string>> subs;
  std::set<std::string> seen;
  for (const auto& e : es)
    for (const auto& g : e.report.at("domain2"))
      if (seen.insert(g.value("name", "")).second)
        subs.push_back({g.value("domain1", ""), g.value("name", "")});
  for (const auto& [parent, name] : subs) {
    std::vector<std::string> row = {parent, name};
    for (const auto& e : es) {
      const io::Json* g = find_named(e.report.at("domain2"), name);
      row.push_back(g ? cell(*g, "score") : "n/a");
    }
    d2.rows.push_back(std::move(row));
  }
  out.push_back({"By subdomain", d2});
  return out;
}

}  // namespace

CompareEntry load_writingbench_report(const fs::path& dir_or_file) {
  fs::path file = fs::is_directory(dir_or_file) ? dir_or_file / "writingbench.json" : dir_or_file;
  CompareEntry e;
  e.source = file.string();
  e.report = io::Json::parse(io::read_file(file), nullptr, /*allow_exceptions=*/false);
  if (!e.report.is_object() || e.report.value("benchmark", "") != "writingbench")
    fail_input(
        "{}: not a WritingBench report (expected the writingbench.json written by `longwriter bench "
        "writingbench score`)",
        e.source);
  for (const char* key : {"domain1", "domain2", "requirements"})
    if (!e.report.contains(key) || !e.report.at(key).is_array())
      fail_input("{}: field \"{}\": expected an array", e.source, key);
  e.name = e.report.value("name", "");
  if (e.name.empty()) {
    fs::path dir = fs::is_directory(dir_or_file) ? dir_or_file : dir_or_file.parent_path();
    e.name = fs::absolute(dir).lexically_normal().filename().string();
  }
  return e;
}

std::string writingbench_compare_markdown(const std::vector<CompareEntry>& es) {
  std::string out = "# WritingBench: comparison\n";
  for (const auto& s : sections(es)) out += "\n## " + s.title + "\n\n" + to_markdown(s.table);
  out += "\nScores on the critic's 1-10 scale. Reports:\n";
  for (const auto& e : es) out += fmt::format("- {}: `{}`\n", e.name, e.source);
  return out;
}

std::string writingbench_compare_html(const std::vector<CompareEntry>& es) {
  std::string b = "<h1>WritingBench: comparison</h1>\n";
  for (const auto& s : sections(es)) b += "<h2>" + escape_html(s.title) + "</h2>\n" + to_html(s.table);
  b += "<p class=\"meta\">Scores on the critic's 1-10 scale. Reports:";
  for (const auto& e : es) b += fmt::format(" {} ({});", escape_html(e.name), escape_html(e.source));
  b += "</p>\n";
  return html_page("WritingBench comparison", b);
}

void write_writingbench_compare(const std::vector<CompareEntry>& es, const fs::path& dir) {
  fs::create_directories(dir);
  io::write_file_atomic(dir / "writingbench_compare.md", writingbench_compare_markdown(es));
  io::write_file_atomic(dir / "writingbench_compare.html", writingbench_compare_html(es));
}

}  // namespace lw::eval
