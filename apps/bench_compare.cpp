// longwriter bench compare DIR...: models side by side.
#include <cstdio>
#include <memory>

#include "eval/compare.hpp"
#include "common/registry.hpp"
#include "util/error.hpp"

namespace {

struct Options {
  std::vector<std::string> dirs;
  std::string out;
};

const bool registered = lw::apps::register_command("bench compare", [](CLI::App& root) {
  auto* bench = lw::apps::parent_command(
      root, "bench", "LongBench-Write: predict, judge, score and compare (docs/bench.md)");
  auto o = std::make_shared<Options>();
  auto* cmd = bench->add_subcommand(
      "compare",
      "Put the reports of several models side by side: S_l, S_q and S overall, by required length\n"
      "and by type, and the quality dimensions. Prints the Markdown tables; with --out also writes\n"
      "DIR/compare.md and DIR/compare.html (with all models on one length scatter).\n"
      "Example:\n"
      "  longwriter bench compare runs/m1 runs/m2 --out runs/compare");
  cmd->add_option("dirs", o->dirs, "Report directories written by `bench score` (or their report.json)")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-o,--out", o->out, "Directory for compare.md and compare.html");
  lw::apps::set_action(cmd, [o] {
    std::vector<lw::eval::CompareEntry> entries;
    for (const auto& d : o->dirs) entries.push_back(lw::eval::load_report(d));
    std::string md = lw::eval::compare_markdown(entries);
    std::fwrite(md.data(), 1, md.size(), stdout);
    if (!o->out.empty()) {
      lw::eval::write_compare(entries, o->out);
      std::printf("\nwrote %s/compare.md, compare.html\n", o->out.c_str());
    }
    return 0;
  });
});

}  // namespace
