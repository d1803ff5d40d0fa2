#include "eval/stability.hpp"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "eval/ruler.hpp"
#include "text/words.hpp"

namespace lw::eval {

namespace {

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Sample standard deviation (n - 1); 0 for fewer than two values.
double sample_sd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double m = mean_of(v), ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

}  // namespace

StabilityReport analyze_stability(const std::vector<LengthSample>& samples) {
  StabilityReport rep;
  std::map<std::string, size_t> slot;
  std::vector<std::vector<const LengthSample*>> groups;
  for (const auto& s : samples) {
    auto [it, fresh] = slot.emplace(s.prompt, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(&s);
  }
  int64_t within = 0;
  double sl_total = 0;
  std::vector<double> cvs, sl_sds;
  for (const auto& g : groups) {
    StabilityRow row;
    row.prompt = g.front()->prompt;
    row.required = g.front()->required;
    row.n = static_cast<int64_t>(g.size());
    std::vector<double> words, sls;
    int64_t in = 0;
    for (const LengthSample* s : g) {
      words.push_back(static_cast<double>(s->produced));
      double sl = text::length_score(static_cast<double>(s->required), static_cast<double>(s->produced));
      sls.push_back(sl);
      sl_total += sl;
      if (within_20_percent(s->required, s->produced)) ++in;
    }
    within += in;
    row.mean = mean_of(words);
    row.sd = sample_sd(words);
    if (row.n >= 2 && row.mean > 0) {
      row.cv = row.sd / row.mean;
      cvs.push_back(*row.cv);
    }
    row.within20 = static_cast<double>(in) / static_cast<double>(row.n);
    row.s_l = mean_of(sls);
    row.s_l_sd = sample_sd(sls);
    sl_sds.push_back(row.s_l_sd);
    rep.max_samples = std::max(rep.max_samples, row.n);
    rep.samples += row.n;
    rep.prompts.push_back(std::move(row));
  }
  if (!cvs.empty()) rep.mean_cv = mean_of(cvs);
  if (rep.samples > 0) {
    rep.within20 = static_cast<double>(within) / static_cast<double>(rep.samples);
    rep.s_l = sl_total / static_cast<double>(rep.samples);
  }
  rep.mean_s_l_sd = mean_of(sl_sds);
  return rep;
}

io::Json stability_to_json(const StabilityReport& r) {
  io::Json prompts = io::Json::array();
  for (const auto& p : r.prompts)
    prompts.push_back({{"prompt", p.prompt},
                       {"required", p.required},
                       {"n", p.n},
                       {"mean_words", p.mean},
                       {"sd_words", p.sd},
                       {"cv", p.cv ? io::Json(*p.cv) : io::Json(nullptr)},
                       {"within_20pct", p.within20},
                       {"S_l", p.s_l},
                       {"S_l_sd", p.s_l_sd}});
  return {{"samples", r.samples},
          {"prompts_n", r.prompts.size()},
          {"max_samples_per_prompt", r.max_samples},
          {"mean_cv", r.mean_cv ? io::Json(*r.mean_cv) : io::Json(nullptr)},
          {"within_20pct", r.within20},
          {"S_l", r.s_l},
          {"mean_S_l_sd", r.mean_s_l_sd},
          {"prompts", prompts}};
}

Table stability_summary_table(const StabilityReport& r) {
  Table t;
  t.header = {"Prompts", "Samples", "Mean CV of length", "Within +-20%", "S_l (all samples)", "Mean S_l SD"};
  t.rows.push_back({std::to_string(r.prompts.size()), std::to_string(r.samples),
                    r.mean_cv ? fmt::format("{:.3f}", *r.mean_cv) : "n/a",
                    fmt::format("{:.0f}%", 100 * r.within20), fmt::format("{:.1f}", r.s_l),
                    fmt::format("{:.1f}", r.mean_s_l_sd)});
  return t;
}

Table stability_prompts_table(const StabilityReport& r) {
  Table t;
  t.header = {"Prompt", "Required", "n", "Mean words", "SD", "CV", "Within +-20%", "S_l", "S_l SD"};
  for (const auto& p : r.prompts)
    t.rows.push_back({shorten(p.prompt, 60), std::to_string(p.required), std::to_string(p.n),
                      fmt::format("{:.0f}", p.mean), fmt::format("{:.0f}", p.sd),
                      p.cv ? fmt::format("{:.3f}", *p.cv) : "n/a", fmt::format("{:.0f}%", 100 * p.within20),
                      fmt::format("{:.1f}", p.s_l), fmt::format("{:.1f}", p.s_l_sd)});
  return t;
}

}  // namespace lw::eval
