#pragma once
// Subcommand registry. Each apps/<name>.cpp registers itself with a static initialiser:
//
//   static const bool registered = lw::apps::register_command("count-words", [](CLI::App& root) {
//     auto* cmd = root.add_subcommand("count-words", "...");
//     auto opts = std::make_shared<Options>();
//     cmd->add_option(...);
//     lw::apps::set_action(cmd, [opts] { ...; return 0; });
//   });
//
// Nested commands ("bench predict") get their parent with parent_command(root, "bench", help).
// An action returns the exit code; errors are thrown (lw::InputError → 2, lw::Error → 1).
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace lw::apps {

using SetupFn = std::function<void(CLI::App& root)>;
using Action = std::function<int()>;

bool register_command(const std::string& name, SetupFn setup);
void set_action(CLI::App* cmd, Action action);
// The group command NAME under root, created with `help` the first time it is asked for.
CLI::App* parent_command(CLI::App& root, const std::string& name, const std::string& help);

// Used by main.
void setup_all(CLI::App& root);
// Runs the action of the deepest subcommand that was parsed; returns its exit code.
int run_selected(CLI::App& root);

}  // namespace lw::apps
