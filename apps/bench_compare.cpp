// longwriter bench compare DIR...: models side by side.
#include <cstdio>
#include <memory>

#include <filesystem>

#include "eval/compare.hpp"
#include "eval/writingbench_compare.hpp"
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
      "Directories holding a WritingBench report (writingbench.json, from `bench writingbench score`)\n"
      "are compared too: overall, by domain, requirement and subdomain, written to\n"
      "DIR/writingbench_compare.md and .html. A directory may hold both kinds of report.\n"
      "Example:\n"
      "  longwriter bench compare runs/m1 runs/m2 --out runs/compare");
  cmd->add_option("dirs", o->dirs,
                  "Report directories written by `bench score` and/or `bench writingbench score` (or a\n"
                  "report.json / writingbench.json)")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-o,--out", o->out, "Directory for compare.md and compare.html");
  lw::apps::set_action(cmd, [o] {
    namespace fs = std::filesystem;
    std::vector<lw::eval::CompareEntry> entries, wb;
    for (const auto& d : o->dirs) {
      fs::path p(d);
      bool dir = fs::is_directory(p);
      bool lbw = dir ? fs::exists(p / "report.json") : p.filename() != "writingbench.json";
      bool wbr = dir ? fs::exists(p / "writingbench.json") : p.filename() == "writingbench.json";
      if (!lbw && !wbr) lw::fail_input("{}: has neither report.json nor writingbench.json", d);
      if (lbw) entries.push_back(lw::eval::load_report(d));
      if (wbr) wb.push_back(lw::eval::load_writingbench_report(d));
    }
    if (!entries.empty()) {
      std::string md = lw::eval::compare_markdown(entries);
      std::fwrite(md.data(), 1, md.size(), stdout);
    }
    if (!wb.empty()) {
      std::string md = lw::eval::writingbench_compare_markdown(wb);
      if (!entries.empty()) std::fputs("\n", stdout);
      std::fwrite(md.data(), 1, md.size(), stdout);
    }
    if (!o->out.empty()) {
      if (!entries.empty()) {
        lw::eval::write_compare(entries, o->out);
        std::printf("\nwrote %s/compare.md, compare.html\n", o->out.c_str());
      }
      if (!wb.empty()) {
        lw::eval::write_writingbench_compare(wb, o->out);
        std::printf("\nwrote %s/writingbench_compare.md, writingbench_compare.html\n", o->out.c_str());
      }
    }
    return 0;
  });
});

}  // namespace
