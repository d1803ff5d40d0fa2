#pragma once
// Starting the longwriter binary in the background (to kill it with SIGKILL mid-run).
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
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

// Starts longwriter with args, waits until requests() reaches n (at most 60 s), kills it with
// SIGKILL and reaps it. True when it died of the signal; false when it could not start or finished
// before it was killed.
inline bool spawn_and_kill_after(const std::vector<std::string>& args, int n,
                                 const std::function<int()>& requests) {
  const pid_t pid = spawn_longwriter(args);
  if (pid <= 0) return false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (requests() < n && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const bool sent = ::kill(pid, SIGKILL) == 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return sent && WIFSIGNALED(status);
}

}  // namespace lw::testing
