// longwriter bench score: S_l, S_q and S with breakdowns, as report.json / report.md / report.html.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "eval/judge.hpp"
#include "eval/report.hpp"
#include "eval/scoring.hpp"
#include "eval/table.hpp"
#include "common/registry.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

struct Options {
  std::string pred, judge, data, out, name, segment_judge;
};

const bool registered = lw::apps::register_command("bench score", [](CLI::App& root) {
  auto* bench = lw::apps::parent_command(
      root, "bench", "LongBench-Write: predict, judge, score and compare (docs/bench.md)");
  auto o = std::make_shared<Options>();
  auto* cmd = bench->add_subcommand(
      "score",
      "Score predictions: S_l (length score, mean over prompts), and with --judge the six quality\n"
      "dimensions ((mean - 1) x 25), S_q (their mean) and S = (S_l + S_q) / 2. Breaks the scores\n"
      "down by required length ([0,500), [500,2000), [2000,4000), [4000,inf)) and by type, counts\n"
      "truncated and empty responses, and lists every missing or failed item. Writes\n"
      "DIR/report.json, DIR/report.md and DIR/report.html (self-contained, with a log-log\n"
      "scatter of required vs produced length).\n"
      "Example:\n"
      "  longwriter bench score --pred runs/m1/pred.jsonl --judge runs/m1/judge.jsonl \\\n"
      "    --data ../shared/data/longbench/longbench_write.jsonl --out runs/m1");
  cmd->add_option("--pred", o->pred, "Predictions from `bench predict` (JSONL)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--judge", o->judge, "Judgements from `bench judge` (JSONL); without it only S_l is computed")
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", o->data, "The prompt file, to list prompts that have no prediction")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Report directory (created)")->required();
  cmd->add_option(
         "--segment-judge", o->segment_judge,
         "Judgements from `bench judge --segments K`: adds S_q by position of the parts and the drop\n"
         "(last minus first)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--name", o->name, "Model name in the report (default: the --out directory's name)");
  lw::apps::set_action(cmd, [o] {
    namespace fs = std::filesystem;
    // Lines may carry "response_length" instead of "response"; compute_scores checks the fields.
    auto read_tolerant = [](const std::string& path) {
      std::vector<lw::io::Record> out;
      lw::io::JsonlReader r(path);
      r.set_tolerate_torn_tail(true);
      lw::io::Record rec;
      while (r.next(rec)) out.push_back(rec);
      return out;
    };
    auto preds = read_tolerant(o->pred);
    std::vector<lw::io::Record> judges, data;
    if (!o->judge.empty()) judges = read_tolerant(o->judge);
    if (!o->data.empty()) data = lw::io::read_jsonl(o->data);
    auto rep = lw::eval::compute_scores(preds, o->judge.empty() ? nullptr : &judges, o->data.empty() ? nullptr : &data);
    if (!o->segment_judge.empty()) {
      auto seg = read_tolerant(o->segment_judge);
      int k = 0;
      for (const auto& l : seg) k = std::max<int>(k, static_cast<int>(l.get_int_or("segments", 0)));
      if (k < 2)
        lw::fail_input("{}: no line with \"segments\" (expected `bench judge --segments K` output)",
                       o->segment_judge);
      rep.positions = lw::eval::analyze_positions(seg, preds, k);
    }
    rep.name = !o->name.empty() ? o->name : fs::absolute(fs::path(o->out)).lexically_normal().filename().string();
    if (rep.name.empty()) rep.name = "model";
    rep.pred_path = o->pred;
    rep.judge_path = o->judge;
    rep.data_path = o->data;
    lw::eval::write_report(rep, o->out);
    const auto& g = rep.overall;
    std::printf("%s: S_l %s  S_q %s  S %s  (%lld predictions, %lld judged, %lld truncated, %lld empty)\n",
                rep.name.c_str(), lw::eval::format_score(g.s_l).c_str(), lw::eval::format_score(g.s_q).c_str(),
                lw::eval::format_score(g.s).c_str(), static_cast<long long>(g.n), static_cast<long long>(g.judged),
                static_cast<long long>(g.truncated), static_cast<long long>(g.empty));
    if (!rep.missing_predictions.empty() || !rep.judge_failed.empty() || !rep.judge_missing.empty())
      lw::log::warn("incomplete: {} prompts without a prediction, {} judge failures, {} not judged (see report.md)",
                    rep.missing_predictions.size(), rep.judge_failed.size(), rep.judge_missing.size());
    std::printf("wrote %s/report.json, report.md, report.html\n", o->out.c_str());
    return 0;
  });
});

}  // namespace
