// longwriter pack stats DIR: rows, sequences, padding, labels, histograms and skips of a pack.
#include <cstdio>
#include <memory>

#include "common/registry.hpp"
#include "data/pack_stats.hpp"

namespace {

struct Options {
  std::string dir;
  bool json = false;
};

const bool registered = lw::apps::register_command("pack.stats", [](CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* parent = lw::apps::parent_command(root, "pack", "Pack chat data for training");
  auto* cmd = parent->add_subcommand(
      "stats",
      "Describe a pack directory written by `longwriter pack`: rows, sequences, padding fraction,\n"
      "labelled tokens, the sequences-per-row and sequence-length histograms, and the skipped\n"
      "conversations with their reasons. Every row is scanned and checked against the manifest.\n\n"
      "Example:\n"
      "  longwriter pack stats packs/ --json");
  cmd->add_option("dir", o->dir, "Pack directory (with manifest.json)")->required();
  cmd->add_flag("--json", o->json, "Print JSON instead of text");
  lw::apps::set_action(cmd, [o] {
    lw::data::PackReader reader(o->dir);
    lw::data::PackStats st = lw::data::compute_pack_stats(reader);
    std::string out = o->json ? st.to_json().dump(2) + "\n" : st.to_text();
    std::fputs(out.c_str(), stdout);
    return 0;
  });
});

}  // namespace
