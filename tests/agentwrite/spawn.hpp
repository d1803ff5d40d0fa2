#pragma once
// Starting the longwriter binary in the background (to kill it with SIGKILL mid-run).
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_helpers.hpp"

namespace lw::testing {

// Spawns longwriter with args (no shell), output discarded; returns the pid.
inline pid_t spawn_longwriter(const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string bin = longwriter_bin();
    std::vector<char*> argv;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    FILE* devnull = std::fopen("/dev/null", "w");
    if (devnull) {
      ::dup2(fileno(devnull), 1);
      ::dup2(fileno(devnull), 2);
    }
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace lw::testing
