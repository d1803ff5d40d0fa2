// writingbench.json / .md / .html for `bench writingbench score`.
#include <algorithm>

#include <fmt/format.h>

#include "eval/table.hpp"
#include "eval/writingbench_score.hpp"
#include "io/file.hpp"

namespace lw::eval {

namespace {

io::Json opt(const std::optional<double>& v) {
  return v ? io::Json(*v) : io::Json(nullptr);
}
std::string cell(const std::optional<double>& v) {
  return v ? fmt::format("{:.2f}", *v) : "n/a";
}

io::Json problems_json(const std::vector<Problem>& ps) {
  io::Json out = io::Json::array();
  for (const auto& p : ps) out.push_back({{"where", p.where}, {"item", p.prompt}, {"reason", p.reason}});
  return out;
}

Table summary(const WbReport& r) {
  Table t;
  t.header = {"Model", "Overall (1-10)", "x10", "Queries scored", "Evaluations", "Missing", "Failed"};
  t.rows.push_back({r.name, cell(r.overall), r.overall ? fmt::format("{:.1f}", *r.overall * 10) : "n/a",
                    std::to_string(r.count), std::to_string(r.n_evals), std::to_string(r.missing.size()),
                    std::to_string(r.failed.size())});
  return t;
}

Table groups(const std::vector<WbGroup>& gs, bool with_parent) {
  Table t;
  t.header = with_parent ? std::vector<std::string>{"Domain", "Subdomain", "n", "Score"}
                         : std::vector<std::string>{"Domain", "n", "Score"};
  t.numeric =
      with_parent ? std::vector<bool>{false, false, true, true} : std::vector<bool>{false, true, true};
  for (const auto& g : gs) {
    std::vector<std::string> row;
    if (with_parent) row.push_back(g.parent);
    row.insert(row.end(), {g.name, std::to_string(g.n), cell(g.mean)});
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table requirements(const WbReport& r) {
  Table t;
  t.header = {"Requirement", "R (query score)", "Queries", "C (criterion score)", "Criteria"};
  for (const auto& q : r.requirements)
    t.rows.push_back(
        {q.name, cell(q.r), std::to_string(q.n_queries), cell(q.c), std::to_string(q.n_criteria)});
  return t;
}

Table problems(const std::vector<Problem>& ps) {
  Table t;
  t.header = {"Where", "Item", "Reason"};
  t.numeric = {false, false, false};
  for (const auto& p : ps) t.rows.push_back({p.where, p.prompt, shorten(p.reason, 160)});
  return t;
}

// One row per scored query, by index: its score and each criterion's.
Table query_rows(const WbReport& r) {
  Table t;
  t.header = {"Index", "Domain", "Subdomain", "Score", "Criteria"};
  t.numeric = {true, false, false, true, false};
  std::vector<const WbQueryScore*> order;
  for (const auto& q : r.queries) order.push_back(&q);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->index < b->index; });
  for (const WbQueryScore* qp : order) {
    const WbQueryScore& q = *qp;
    std::string crit;
    for (const auto& [name, score] : q.criteria)
      crit += fmt::format("{}{} {:.1f}", crit.empty() ? "" : "; ", name, score);
    t.rows.push_back({std::to_string(q.index), q.domain1, q.domain2, fmt::format("{:.2f}", q.mean), crit});
  }
  return t;
}

struct Section {
  std::string title;
  const std::vector<Problem>* ps;
};

std::vector<Section> problem_sections(const WbReport& r) {
  return {{"Queries without a score line", &r.missing},
          {"Critic gave no usable reply", &r.failed},
          {"Scored indices not in the query file", &r.unknown},
          {"Requirement subsets", &r.requirement_problems}};
}

const char* kNote =
    "Scores on the critic's 1-10 scale (the leaderboard multiplies by 10). Overall: mean of every criterion "
    "evaluation. Query score: mean of its criteria. Domain and subdomain: mean of their query scores. "
    "Requirement R: mean query score over the requirement's subset; C: mean score of the subset's "
    "requirement-specific criteria.";

}  // namespace

io::Json writingbench_to_json(const WbReport& r) {
  auto groups_json = [](const std::vector<WbGroup>& gs) {
    io::Json out = io::Json::array();
    for (const auto& g : gs) {
      io::Json j = {{"name", g.name}, {"n", g.n}, {"score", opt(g.mean)}};
      if (!g.parent.empty()) j["domain1"] = g.parent;
      out.push_back(j);
    }
    return out;
  };
  io::Json reqs = io::Json::array();
  for (const auto& q : r.requirements)
    reqs.push_back({{"name", q.name},
                    {"R", opt(q.r)},
                    {"C", opt(q.c)},
                    {"queries", q.n_queries},
                    {"criteria", q.n_criteria}});
  io::Json items = io::Json::array();
  for (const auto& q : r.queries)
    items.push_back({{"index", q.index},
                     {"where", q.where},
                     {"domain1", q.domain1},
                     {"domain2", q.domain2},
                     {"score", q.mean},
                     {"criteria", q.criteria}});
  bool complete = r.missing.empty() && r.failed.empty() && r.requirement_problems.empty();
  return {{"benchmark", "writingbench"},
          {"name", r.name},
          {"overall", opt(r.overall)},
          {"count", r.count},
          {"evaluations", r.n_evals},
          {"complete", complete},
          {"domain1", groups_json(r.domain1)},
          {"domain2", groups_json(r.domain2)},
          {"requirements", reqs},
          {"missing", problems_json(r.missing)},
          {"failed", problems_json(r.failed)},
          {"unknown", problems_json(r.unknown)},
          {"requirement_problems", problems_json(r.requirement_problems)},
          {"superseded", r.superseded},
          {"inputs", {{"judge", r.judge_path}, {"data", r.data_path}, {"requirements", r.requirements_path}}},
          {"queries", items}};
}

std::string writingbench_markdown(const WbReport& r) {
  std::string out =
      fmt::format("# WritingBench report: {}\n\n**Overall = {}** ({} queries, {} evaluations)\n\n", r.name,
                  cell(r.overall), r.count, r.n_evals);
  out += fmt::format("Scores: `{}`", r.judge_path);
  if (!r.data_path.empty()) out += fmt::format(" · queries: `{}`", r.data_path);
  if (!r.requirements_path.empty()) out += fmt::format(" · requirements: `{}`", r.requirements_path);
  out += "\n\n## Summary\n\n" + to_markdown(summary(r));
  out += "\n## By domain\n\n" + to_markdown(groups(r.domain1, false));
  if (!r.requirements.empty()) out += "\n## Requirements\n\n" + to_markdown(requirements(r));
  out += "\n## By subdomain\n\n" + to_markdown(groups(r.domain2, true));
  if (!r.queries.empty())
    out += fmt::format("\n## Queries ({})\n\n", r.queries.size()) + to_markdown(query_rows(r));
  bool any = r.superseded > 0;
  for (const auto& s : problem_sections(r)) any = any || !s.ps->empty();
  if (any) {
    out += "\n## Problems\n";
    for (const auto& s : problem_sections(r))
      if (!s.ps->empty())
        out += fmt::format("\n### {} ({})\n\n", s.title, s.ps->size()) + to_markdown(problems(*s.ps));
    if (r.superseded > 0)
      out += fmt::format("\n{} earlier score lines were superseded by a later line for the same index.\n",
                         r.superseded);
  }
  out += fmt::format("\n---\n{}\n", kNote);
  return out;
}

std::string writingbench_html(const WbReport& r) {
  std::string b = fmt::format("<h1>WritingBench report: {}</h1>\n", escape_html(r.name));
  b += fmt::format("<p class=\"headline\"><b>Overall = {}</b> &#160; {} queries, {} evaluations</p>\n",
                   cell(r.overall), r.count, r.n_evals);
  b += fmt::format("<p class=\"meta\">Scores: {}", escape_html(r.judge_path));
  if (!r.data_path.empty()) b += fmt::format(" &#183; queries: {}", escape_html(r.data_path));
  if (!r.requirements_path.empty())
    b += fmt::format(" &#183; requirements: {}", escape_html(r.requirements_path));
  b += "</p>\n<h2>Summary</h2>\n" + to_html(summary(r));
  b += "<h2>By domain</h2>\n" + to_html(groups(r.domain1, false));
  if (!r.requirements.empty()) b += "<h2>Requirements</h2>\n" + to_html(requirements(r));
  b += "<h2>By subdomain</h2>\n" + to_html(groups(r.domain2, true));
  if (!r.queries.empty())
    b += fmt::format("<h2>Queries ({})</h2>\n", r.queries.size()) + to_html(query_rows(r));
  bool any = r.superseded > 0;
  for (const auto& s : problem_sections(r)) any = any || !s.ps->empty();
  if (any) {
    b += "<h2>Problems</h2>\n";
    for (const auto& s : problem_sections(r))
      if (!s.ps->empty())
        b += fmt::format("<h3>{} ({})</h3>\n", escape_html(s.title), s.ps->size()) + to_html(problems(*s.ps));
    if (r.superseded > 0)
      b += fmt::format("<p>{} earlier score lines were superseded by a later line for the same index.</p>\n",
                       r.superseded);
  }
  b += fmt::format("<p class=\"meta\">{}</p>\n", escape_html(kNote));
  return html_page("WritingBench: " + r.name, b);
}

void write_writingbench_report(const WbReport& r, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  io::write_file_atomic(dir / "writingbench.json", writingbench_to_json(r).dump(2) + "\n");
  io::write_file_atomic(dir / "writingbench.md", writingbench_markdown(r));
  io::write_file_atomic(dir / "writingbench.html", writingbench_html(r));
}

}  // namespace lw::eval
