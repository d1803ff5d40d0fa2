// longwriter agentwrite select: choose the instructions that ask for long outputs.
#include <memory>

#include "agentwrite/select.hpp"
#include "common/registry.hpp"
#include "io/jsonl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace {

namespace aw = lw::agentwrite;

struct Options {
  std::string in, out, dropped, field = "prompt";
  std::vector<std::string> rules;
  bool no_default_rules = false;
  bool no_dedup = false;
  aw::SelectOptions select;
};

int run(const Options& o) {
  aw::RuleSet rules;
  if (!o.no_default_rules) rules.add_defaults();
  for (const auto& f : o.rules) rules.add_file(f);
  auto records = lw::io::read_jsonl(o.in);
  std::vector<std::string> prompts;
  for (const auto& r : records) {
    if (!r.value.is_object()) lw::fail_input("{}: expected a JSON object", r.where());
    prompts.push_back(r.get_string(o.field));
  }
  aw::SelectOptions so = o.select;
  so.dedup = !o.no_dedup;
  aw::SelectReport report;
  auto decisions = aw::select_all(prompts, rules, so, report);
  lw::io::JsonlWriter out(o.out);
  std::unique_ptr<lw::io::JsonlWriter> dropped;
  if (!o.dropped.empty()) dropped = std::make_unique<lw::io::JsonlWriter>(o.dropped);
  for (size_t i = 0; i < records.size(); ++i) {
    if (decisions[i].keep) {
      out.write(records[i].value);
    } else if (dropped) {
      auto line = records[i].value;
      line["reason"] = decisions[i].reason;
      if (!decisions[i].detail.empty()) line["detail"] = decisions[i].detail;
      dropped->write(line);
    }
  }
  out.commit();
  if (dropped) dropped->commit();
  std::printf("%lld instructions: %lld kept, %lld dropped\n", static_cast<long long>(report.total),
              static_cast<long long>(report.kept), static_cast<long long>(report.total - report.kept));
  for (const auto& [r, n] : report.kept_by_reason) std::printf("  kept    %7lld  %s\n", static_cast<long long>(n), r.c_str());
  for (const auto& [r, n] : report.dropped_by_reason)
    std::printf("  dropped %7lld  %s\n", static_cast<long long>(n), r.c_str());
  return 0;
}

const bool registered = lw::apps::register_command("agentwrite.select", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* parent = lw::apps::parent_command(root, "agentwrite", "AgentWrite");
  auto* cmd = parent->add_subcommand(
      "select",
      "Choose the instructions that ask for long outputs (the paper's selection): keep those with an\n"
      "explicit length request at or above --min-words (\"5000 words\", \"5000字\", \"一万字\") or, with no\n"
      "explicit length, a long-form kind ([keep] rules: novel, report, thesis...); drop those matching\n"
      "[drop] rules (toxic terms, data scraping) and near-duplicates of an earlier kept one. Prints\n"
      "counts per reason. Rule file format: docs/agentwrite.md; the defaults are data/rules/*.rules.\n\n"
      "Example:\n"
      "  longwriter agentwrite select --in raw.jsonl --out instructions.jsonl --min-words 2000");
  cmd->add_option("--in", o->in, "Raw instructions, JSONL")->required();
  cmd->add_option("--out", o->out, "Selected instructions, JSONL (lines kept as they are)")->required();
  cmd->add_option("--field", o->field, "Field holding the instruction")->capture_default_str();
  cmd->add_option("--min-words", o->select.min_words, "Smallest explicit length request kept")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  cmd->add_option("--rules", o->rules, "Extra rules file (repeatable), added to the defaults")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--no-default-rules", o->no_default_rules, "Use only the --rules files");
  cmd->add_option("--dup-threshold", o->select.dup_threshold,
                  "Near-duplicate similarity (estimated Jaccard of 5-character shingles)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--no-dedup", o->no_dedup, "Keep near-duplicates");
  cmd->add_option("--dropped", o->dropped, "Also write the dropped lines here, with \"reason\" and \"detail\"");
  lw::apps::set_action(cmd, [o] { return run(*o); });
});

}  // namespace
