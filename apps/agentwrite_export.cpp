// longwriter agentwrite export: AgentWrite results → SFT chat data, with a statistics report.
#include <memory>

#include "agentwrite/export.hpp"
#include "common/registry.hpp"
#include "io/file.hpp"

namespace {

namespace aw = lw::agentwrite;

struct Options {
  std::string in, out, stats, rejects;
  aw::ExportOptions opts;
};

const bool registered = lw::apps::register_command("agentwrite.export", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* parent = lw::apps::parent_command(root, "agentwrite", "AgentWrite");
  auto* cmd = parent->add_subcommand(
      "export",
      "Turn AgentWrite results into SFT lines\n"
      "  {\"messages\":[{\"role\":\"user\",\"content\":PROMPT},{\"role\":\"assistant\",\"content\":RESPONSE}]}\n"
      "and print statistics: count, response-length histogram in 1k-word buckets up to 20k+, mean,\n"
      "median, and drops with reasons (this step's and AgentWrite's, from IN.rejects.jsonl).\n\n"
      "Example:\n"
      "  longwriter agentwrite export --in write.jsonl --out sft.jsonl --stats sft.stats.json");
  cmd->add_option("--in", o->in, "AgentWrite output, JSONL with prompt and response")->required();
  cmd->add_option("--out", o->out, "SFT data, JSONL (written atomically)")->required();
  cmd->add_option("--stats", o->stats, "Also write the statistics as JSON to this file");
  cmd->add_option("--rejects", o->rejects, "AgentWrite's rejects file to count (default: IN.rejects.jsonl)");
  cmd->add_option("--min-words", o->opts.min_words, "Drop responses shorter than this")->capture_default_str();
  cmd->add_option("--max-words", o->opts.max_words, "Drop responses longer than this (0: no limit)")
      ->capture_default_str();
  lw::apps::set_action(cmd, [o] {
    std::string rejects = o->rejects.empty() ? o->in + ".rejects.jsonl" : o->rejects;
    aw::LengthStats s = aw::export_sft(o->in, o->out, o->opts, rejects);
    std::fputs(s.to_text().c_str(), stdout);
    if (!o->stats.empty()) lw::io::write_file_atomic(o->stats, s.to_json().dump(2) + "\n");
    return 0;
  });
});

}  // namespace
