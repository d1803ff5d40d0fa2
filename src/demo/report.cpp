#include "demo/report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "eval/svg_chart.hpp"
#include "eval/table.hpp"
#include "io/file.hpp"

namespace lw::demo {

namespace {

nlohmann::json curve_json(const RulerCurve& c) {
  return {{"model", c.model},
          {"lengths", c.lengths},
          {"mean_produced", c.mean_produced},
          {"max_produced", c.max_produced},
          {"S_l_per_length", c.s_l_per_length},
          {"S_l", c.s_l}};
}

}  // namespace

namespace {

nlohmann::json dpo_json(const DpoDemo& d) {
  if (!d.ran) return nullptr;
  return {{"pairs", d.pairs},
          {"steps", d.steps},
          {"final_loss", d.final_loss},
          {"final_accuracy", d.final_accuracy},
          {"before", figures_json(d.before)},
          {"after", figures_json(d.after)}};
}

}  // namespace

nlohmann::json demo_json(const DemoResult& r) {
  nlohmann::json stages = nlohmann::json::object();
  for (auto& [n, s] : r.stage_seconds) stages[n] = s;
  nlohmann::json pieces = nlohmann::json::array();
  for (const auto& p : r.pieces)
    pieces.push_back({{"target", p.target},
                      {"produced", p.produced},
                      {"plan_steps", p.plan_steps},
                      {"paragraphs", p.paragraphs}});
  return {{"scale", r.scale.to_json()},
          {"capped", curve_json(r.capped)},
          {"capped_agentwrite", curve_json(r.agentwrite)},
          {"long", curve_json(r.long_model)},
          {"agentwrite_pieces", pieces},
          {"seconds", r.seconds},
          {"stage_seconds", stages},
          {"dpo", dpo_json(r.dpo)}};
}

namespace {

// The three curves in the order they are shown.
std::vector<const RulerCurve*> curves(const DemoResult& r) {
  return {&r.capped, &r.agentwrite, &r.long_model};
}

// The ruler table: produced length per required length, the three curves (report.md and .html).
eval::Table ruler_table(const DemoResult& r) {
  eval::Table t;
  t.header = {"required L"};
  for (const auto* c : curves(r)) {
    t.header.push_back(c->model + ": mean");
    t.header.push_back(c->model + ": max");
  }
  t.numeric.assign(t.header.size(), true);
  for (size_t i = 0; i < r.capped.lengths.size(); ++i) {
    std::vector<std::string> row = {fmt::format("{}", r.capped.lengths[i])};
    for (const auto* c : curves(r)) {
      const bool has = i < c->mean_produced.size();
      row.push_back(has ? fmt::format("{:.0f}", c->mean_produced[i]) : "n/a");
      row.push_back(has ? fmt::format("{}", c->max_produced[i]) : "n/a");
    }
    t.rows.push_back(std::move(row));
  }
  t.rows.push_back({"S_l"});
  t.rows.push_back({fmt::format("S_l, L <= {}", r.scale.long_cap)});
  for (const auto* c : curves(r)) {
    t.rows[t.rows.size() - 2].push_back(fmt::format("{:.1f}", c->s_l));
    t.rows[t.rows.size() - 2].push_back("");
    t.rows.back().push_back(fmt::format("{:.1f}", c->s_l_upto(r.scale.long_cap)));
    t.rows.back().push_back("");
  }
  return t;
}

// The AgentWrite pieces per write target: their lengths against the target, and whether each has one
// paragraph per plan step.
eval::Table pieces_table(const DemoResult& r) {
  eval::Table t;
  t.header = {"target", "pieces",      "mean",       "mean / target",         "min",
              "max",    "within ±20%", "plan steps", "one paragraph per step"};
  t.numeric.assign(t.header.size(), true);
  for (int64_t target : r.scale.write_targets) {
    int64_t n = 0, sum = 0, lo = 0, hi = 0, within = 0, matched = 0, steps_lo = 0, steps_hi = 0;
    for (const auto& p : r.pieces) {
      if (p.target != target) continue;
      lo = n ? std::min(lo, p.produced) : p.produced;
      hi = n ? std::max(hi, p.produced) : p.produced;
      steps_lo = n ? std::min(steps_lo, p.plan_steps) : p.plan_steps;
      steps_hi = n ? std::max(steps_hi, p.plan_steps) : p.plan_steps;
      ++n;
      sum += p.produced;
      within += std::abs(static_cast<double>(p.produced) / static_cast<double>(target) - 1.0) <= 0.2;
      matched += p.paragraphs == p.plan_steps;
    }
    if (n == 0) continue;
    const double mean = static_cast<double>(sum) / static_cast<double>(n);
    t.rows.push_back(
        {fmt::format("{}", target), fmt::format("{}", n), fmt::format("{:.0f}", mean),
         fmt::format("{:.2f}", mean / static_cast<double>(target)), fmt::format("{}", lo),
         fmt::format("{}", hi), fmt::format("{} of {}", within, n),
         steps_lo == steps_hi ? fmt::format("{}", steps_lo) : fmt::format("{}-{}", steps_lo, steps_hi),
         fmt::format("{} of {}", matched, n)});
  }
  return t;
}

eval::Table dpo_table(const DpoDemo& d) {
  eval::Table t;
  t.header = {"model", "paragraphs", "length accuracy per step (S_l)", "within ±20% of budget",
              "repetition rate"};
  for (const StepFigures* f : {&d.before, &d.after})
    t.rows.push_back({f->model, fmt::format("{}", f->paragraphs), fmt::format("{:.1f}", f->length_accuracy),
                      fmt::format("{:.0f}%", 100.0 * f->within_20),
                      fmt::format("{:.1f}%", 100.0 * f->repetition)});
  return t;
}

std::string dpo_note(const DpoDemo& d) {
  return fmt::format(
      "The capped model wrote 6 candidates for each plan step of held-out instructions; a scripted "
      "judge scored each by its length against the step's budget and by how much it repeats itself, "
      "and best vs worst made {} pairs out of {} steps. DPO of the capped model on them (packed rows; "
      "last step loss {:.3f}, accuracy {:.2f}); then both models wrote the same fresh instructions "
      "through AgentWrite, the tuned one from the capped one's plans (so the same steps are compared). "
      "Repetition rate: the share of a paragraph's word 4-grams that repeat an earlier one.",
      d.pairs, d.steps, d.final_loss, d.final_accuracy);
}

eval::Table stage_table(const DemoResult& r) {
  eval::Table t;
  t.header = {"stage", "seconds"};
  for (const auto& [name, sec] : r.stage_seconds) t.rows.push_back({name, fmt::format("{:.1f}", sec)});
  t.rows.push_back({"total (wall)", fmt::format("{:.1f}", r.seconds)});
  return t;
}

std::string intro(const DemoResult& r) {
  return fmt::format(
      "Two tiny Llama models trained from scratch on the same synthetic instructions: capped saw outputs of "
      "at "
      "most {} words, long also saw outputs up to {} words. capped + AgentWrite is the capped model driven "
      "by "
      "AgentWrite: it plans the piece in steps of at most {} words, then writes them one by one.",
      r.scale.short_cap, r.scale.long_cap, r.scale.plan_step_words);
}

std::string headline(const DemoResult& r) {
  const int64_t cap = r.scale.long_cap;
  return fmt::format(
      "S_l (length score, 0..100) over every length: capped {:.1f}, capped + AgentWrite {:.1f}, long {:.1f}; "
      "over the lengths inside the long set's range (L <= {}): capped {:.1f}, capped + AgentWrite {:.1f}, "
      "long "
      "{:.1f}.",
      r.capped.s_l, r.agentwrite.s_l, r.long_model.s_l, cap, r.capped.s_l_upto(cap),
      r.agentwrite.s_l_upto(cap), r.long_model.s_l_upto(cap));
}

std::string stages_note(const DemoResult& r) {
  return r.stage_seconds.empty() ? "Every stage was reused from an earlier run."
                                 : "Stages run by this process:";
}

}  // namespace

std::string demo_markdown(const DemoResult& r) {
  std::string md = fmt::format("# The miniature LongWriter ({})\n\n{}\n\n", r.scale.name, intro(r));
  md += eval::to_markdown(ruler_table(r));
  md +=
      "\n" + headline(r) + "\n\n## AgentWrite pieces (capped model)\n\n" + eval::to_markdown(pieces_table(r));
  md += "\nThe first piece is in write.md.\n\n";
  if (r.dpo.ran)
    md += "## Step-level DPO (capped model)\n\n" + dpo_note(r.dpo) + "\n\n" +
          eval::to_markdown(dpo_table(r.dpo)) + "\n";
  md += "## Time\n\n" + stages_note(r) + "\n\n";
  if (!r.stage_seconds.empty()) md += eval::to_markdown(stage_table(r));
  return md;
}

namespace {

std::string ruler_svg(const DemoResult& r) {
  eval::ScatterChart ch;
  ch.title = "Produced vs required length (mean per L)";
  ch.x_label = "required length (words)";
  ch.y_label = "produced length (words)";
  ch.lo = 10;
  ch.hi = std::max<double>(
      1000, static_cast<double>(r.scale.ruler_lengths.empty() ? 1000 : r.scale.ruler_lengths.back()) * 2);
  ch.series = {{fmt::format("capped (outputs <= {} words)", r.scale.short_cap), eval::palette_color(0), ""},
               {fmt::format("capped + AgentWrite (steps <= {} words)", r.scale.plan_step_words),
                eval::palette_color(2), "7 4"},
               {fmt::format("long (outputs <= {} words)", r.scale.long_cap), eval::palette_color(1), ""}};
  ch.connect_series = true;
  const auto cs = curves(r);
  for (size_t s = 0; s < cs.size(); ++s) {
    const RulerCurve& c = *cs[s];
    for (size_t i = 0; i < c.lengths.size(); ++i)
      ch.points.push_back({static_cast<double>(c.lengths[i]), std::max(1.0, c.mean_produced[i]),
                           static_cast<int>(s),
                           fmt::format("{}: L={} mean={:.0f}", c.model, c.lengths[i], c.mean_produced[i])});
  }
  return eval::render_loglog_scatter(ch);
}

}  // namespace

std::string demo_html(const DemoResult& r) {
  std::string body = fmt::format("<h1>The miniature LongWriter ({})</h1>\n<p>{}</p>\n",
                                 eval::escape_html(r.scale.name), eval::escape_html(intro(r)));
  body += "<h2>Produced vs required length</h2>\n" + eval::to_html(ruler_table(r));
  body += "<p class=\"headline\">" + eval::escape_html(headline(r)) + "</p>\n";
  body += ruler_svg(r) + "\n";
  body += "<h2>AgentWrite pieces (capped model)</h2>\n" + eval::to_html(pieces_table(r));
  body += "<p>The first piece, with its plan: <a href=\"write.md\">write.md</a>.</p>\n";
  if (r.dpo.ran)
    body += "<h2>Step-level DPO (capped model)</h2>\n<p>" + eval::escape_html(dpo_note(r.dpo)) + "</p>\n" +
            eval::to_html(dpo_table(r.dpo));
  body += "<h2>Time</h2>\n<p>" + eval::escape_html(stages_note(r)) + "</p>\n";
  if (!r.stage_seconds.empty()) body += eval::to_html(stage_table(r));
  return eval::html_page("longwriter demo", body);
}
void write_demo_report(const DemoResult& r, const std::filesystem::path& dir) {
  io::write_files_atomic(dir, {{"report.json", demo_json(r).dump(2)},
                               {"report.md", demo_markdown(r)},
                               {"report.html", demo_html(r)},
                               {"report.svg", ruler_svg(r) + "\n"}});  // the svg: the chart alone, for docs
}

}  // namespace lw::demo
