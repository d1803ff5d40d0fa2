#include "common/registry.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace lw::apps {
namespace {

std::vector<std::pair<std::string, SetupFn>>& setups() {
  static std::vector<std::pair<std::string, SetupFn>> v;
  return v;
}

std::map<const CLI::App*, Action>& actions() {
  static std::map<const CLI::App*, Action> m;
  return m;
}

}  // namespace

bool register_command(const std::string& name, SetupFn setup) {
  setups().emplace_back(name, std::move(setup));
  return true;
}

void set_action(CLI::App* cmd, Action action) { actions()[cmd] = std::move(action); }

CLI::App* parent_command(CLI::App& root, const std::string& name, const std::string& help) {
  for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  CLI::App* cmd = root.add_subcommand(name, help);
  cmd->require_subcommand(1);
  return cmd;
}

void setup_all(CLI::App& root) {
  auto& v = setups();
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [name, fn] : v) fn(root);
}

int run_selected(CLI::App& root) {
  CLI::App* cur = &root;
  for (;;) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
  }
  auto it = actions().find(cur);
  if (it == actions().end()) {
    throw CLI::CallForHelp();
  }
  return it->second();
}

}  // namespace lw::apps
