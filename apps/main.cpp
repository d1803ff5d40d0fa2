// longwriter: the command-line entry point. Subcommands live one per file in apps/ and register
// themselves (common/registry.hpp). Exit codes: 0 ok, 1 runtime failure, 2 usage or input error.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "common/registry.hpp"
#include "git_version.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "longwriter: make language models write coherent outputs of 10,000+ words.\n"
      "AgentWrite (plan, then write paragraph by paragraph), LongBench-Write and LongWrite-Ruler\n"
      "evaluation, long-output SFT data, packing, and a native Llama-family engine.",
      "longwriter"};
  app.set_version_flag("--version", std::string("longwriter ") + LW_VERSION + " (git " + LW_GIT_COMMIT + ")");
  app.fallthrough();  // global options may follow the subcommand
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success; 1 runtime failure (network, server, disk); 2 usage or input error.\n"
      "Run 'longwriter COMMAND --help' for the options of a command.");
  app.add_option_function<std::string>(
      "--log-level",
      [](const std::string& v) { lw::log::set_level(lw::log::parse_level(v)); },
      "Log verbosity: debug, info, warn, error, off (default info)");
  app.add_flag_function(
      "-q,--quiet",
      [](int64_t) {
        lw::log::set_level(lw::log::Level::warn);
        lw::set_progress_enabled(false);
      },
      "Only warnings and errors on stderr; no progress display");

  lw::apps::setup_all(app);

  try {
    app.parse(argc, argv);
    return lw::apps::run_selected(app);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const lw::InputError& e) {
    lw::progress_clear_line_for_log();
    std::fprintf(stderr, "longwriter: error: %s\n", lw::log::redact(e.what()).c_str());
    return 2;
  } catch (const std::exception& e) {
    lw::progress_clear_line_for_log();
    std::fprintf(stderr, "longwriter: error: %s\n", lw::log::redact(e.what()).c_str());
    return 1;
  }
}
