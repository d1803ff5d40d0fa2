#include "eval/writingbench_score.hpp"

#include <algorithm>
#include <set>

#include "util/error.hpp"

namespace lw::eval {

const std::vector<std::string>& writingbench_domains() {
  static const std::vector<std::string> d = {
      "Academic & Engineering", "Finance & Business", "Politics & Law",
      "Literature & Arts",      "Education",          "Advertising & Marketing"};
  return d;
}

namespace {

int64_t index_of(const io::Record& r) {
  auto it = r.value.find("index");
  if (it == r.value.end() || !it->is_number_integer())
    fail_input("{}: field \"index\": expected an integer", r.where());
  return it->get<int64_t>();
}

WbQueryScore score_line(const io::Record& r) {
  WbQueryScore q;
  q.where = r.where();
  q.index = index_of(r);
  auto sc = r.value.find("scores");
  if (sc == r.value.end() || !sc->is_object() || sc->empty())
    fail_input("{}: field \"scores\": expected a non-empty object of criteria", r.where());
  for (const auto& [name, evals] : sc->items()) {
    if (!evals.is_array() || evals.empty())
      fail_input("{}: field \"scores.{}\": expected a non-empty list of evaluations", r.where(), name);
    double crit_sum = 0;
    for (size_t i = 0; i < evals.size(); ++i) {
      auto s = evals[i].is_object() ? evals[i].find("score") : evals[i].end();
      if (!evals[i].is_object() || s == evals[i].end() || !s->is_number())
        fail_input("{}: field \"scores.{}[{}].score\": expected a number", r.where(), name, i);
      double v = s->get<double>();
      crit_sum += v;
      q.sum += v;
      ++q.n_evals;
    }
    q.criteria[name] = crit_sum / static_cast<double>(evals.size());
  }
  q.mean = q.sum / static_cast<double>(q.n_evals);
  return q;
}

std::vector<int64_t> read_indices(const std::filesystem::path& p) {
  std::vector<int64_t> out;
  for (const auto& r : io::read_jsonl(p)) out.push_back(index_of(r));
  return out;
}

int domain_rank(const std::string& d) {
  const auto& ds = writingbench_domains();
  auto it = std::find(ds.begin(), ds.end(), d);
  return it == ds.end() ? static_cast<int>(ds.size()) : static_cast<int>(it - ds.begin());
}

std::optional<double> mean_of(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

std::vector<WbRequirementSet> load_requirement_sets(const std::filesystem::path& dir) {
  std::vector<WbRequirementSet> out;
  for (const char* name : {"style", "format", "length"}) {
    WbRequirementSet s;
    s.name = name;
    s.indices = read_indices(dir / name / fmt::format("{}_subset.jsonl", name));
    for (const auto& r : io::read_jsonl(dir / name / fmt::format("{}_subset_C.jsonl", name))) {
      int64_t idx = index_of(r);
      const char* list = r.has("checklist") ? "checklist" : "criteria";
      auto cl = r.value.find(list);
      if (cl == r.value.end() || !cl->is_array())
        fail_input("{}: field \"checklist\": expected an array", r.where());
      auto& names = s.criteria[idx];
      for (size_t i = 0; i < cl->size(); ++i) {
        const io::Json& c = (*cl)[i];
        if (!c.is_object() || !c.contains("name") || !c.at("name").is_string())
          fail_input("{}: field \"{}[{}].name\": expected a string", r.where(), list, i);
        names.push_back(c.at("name").get<std::string>());
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

WbReport compute_writingbench_scores(const std::vector<io::Record>& lines, const std::vector<WbQuery>* data,
                                     const std::vector<WbRequirementSet>* requirements) {
  WbReport rep;
  std::map<int64_t, const WbQuery*> known;
  if (data) known = index_queries(*data);

  // The last usable line of each index counts.
  std::map<int64_t, size_t> slot;  // index -> position in rep.queries
  std::vector<std::pair<int64_t, Problem>> failed;
  for (const auto& r : lines) {
    if (r.value.contains("judge_error")) {
      int64_t idx = index_of(r);
      std::string why = r.value.at("judge_error").is_string() ? r.value.at("judge_error").get<std::string>()
                                                              : r.value.at("judge_error").dump();
      failed.push_back({idx, {r.where(), fmt::format("index {}", idx), why}});
      continue;
    }
    WbQueryScore q = score_line(r);
    if (data) {
      auto k = known.find(q.index);
      if (k != known.end()) {
        q.domain1 = k->second->domain1;
        q.domain2 = k->second->domain2;
      } else {
        rep.unknown.push_back({r.where(), fmt::format("index {}", q.index), "not in the query file"});
      }
    } else {
      q.domain1 = r.get_string_or("domain1", "");
      q.domain2 = r.get_string_or("domain2", "");
    }
    auto s = slot.find(q.index);
    if (s != slot.end()) {
      ++rep.superseded;
      rep.queries[s->second] = std::move(q);
    } else {
      slot[q.index] = rep.queries.size();
      rep.queries.push_back(std::move(q));
    }
  }
  // A failure followed by a success (a rerun) is not a failure any more.
  std::set<int64_t> failed_idx;
  for (auto& [idx, p] : failed)
    if (!slot.count(idx) && failed_idx.insert(idx).second) rep.failed.push_back(std::move(p));
  if (data)
    for (const auto& q : *data)
      if (!slot.count(q.index) && !failed_idx.count(q.index))
        rep.missing.push_back({q.where, fmt::format("index {}", q.index), "no score line"});

  double total = 0;
  std::map<std::string, std::vector<double>> d1, d2;
  std::map<std::string, std::string> d2_parent;
  for (const auto& q : rep.queries) {
    total += q.sum;
    rep.n_evals += q.n_evals;
    // Domains come from the query file when given (an index missing there has none).
    if (!q.domain1.empty()) d1[q.domain1].push_back(q.mean);
    if (!q.domain2.empty()) {
      d2[q.domain2].push_back(q.mean);
      d2_parent[q.domain2] = q.domain1;
    }
  }
  rep.count = static_cast<int64_t>(rep.queries.size());
  if (rep.n_evals > 0) rep.overall = total / static_cast<double>(rep.n_evals);

  for (const auto& [name, v] : d1)
    rep.domain1.push_back({name, "", static_cast<int64_t>(v.size()), mean_of(v)});
  std::stable_sort(rep.domain1.begin(), rep.domain1.end(), [](const WbGroup& a, const WbGroup& b) {
    return domain_rank(a.name) < domain_rank(b.name);
  });
  for (const auto& [name, v] : d2)
    rep.domain2.push_back({name, d2_parent[name], static_cast<int64_t>(v.size()), mean_of(v)});
  std::stable_sort(rep.domain2.begin(), rep.domain2.end(), [](const WbGroup& a, const WbGroup& b) {
    if (domain_rank(a.parent) != domain_rank(b.parent)) return domain_rank(a.parent) < domain_rank(b.parent);
    if (a.parent != b.parent) return a.parent < b.parent;
    return *a.mean > *b.mean;  // best first within a domain, as the benchmark's table
  });

  if (requirements) {
    for (const auto& set : *requirements) {
      WbRequirement req;
      req.name = set.name;
      std::vector<double> rs, cs;
      for (int64_t idx : set.indices) {
        auto s = slot.find(idx);
        if (s == slot.end()) continue;
        const WbQueryScore& q = rep.queries[s->second];
        rs.push_back(q.mean);
        auto c = set.criteria.find(idx);
        if (c == set.criteria.end()) {
          rep.requirement_problems.push_back(
              {q.where, fmt::format("index {}", idx),
               fmt::format("{}: not in {}_subset_C.jsonl", set.name, set.name)});
          continue;
        }
        for (const auto& name : c->second) {
          auto cr = q.criteria.find(name);
          if (cr == q.criteria.end()) {
            rep.requirement_problems.push_back(
                {q.where, fmt::format("index {}", idx),
                 fmt::format("{}: criterion \"{}\" not scored", set.name, name)});
            continue;
          }
          cs.push_back(cr->second);
        }
      }
      req.n_queries = static_cast<int64_t>(rs.size());
      req.n_criteria = static_cast<int64_t>(cs.size());
      req.r = mean_of(rs);
      req.c = mean_of(cs);
      rep.requirements.push_back(req);
    }
  }
  return rep;
}

}  // namespace lw::eval
