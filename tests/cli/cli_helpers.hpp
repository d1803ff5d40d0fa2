#pragma once
// Runs the built longwriter binary for end-to-end CLI tests.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace lw::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together (2>&1)
};

inline std::string longwriter_bin() { return LW_CLI_BINARY; }

// Runs a shell command line (stdout and stderr together).
inline RunResult run_shell(const std::string& cmd) {
  RunResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `longwriter ARGS` through the shell; args are spliced verbatim (quote them yourself).
inline RunResult run_longwriter(const std::string& args, const std::string& stdin_text = "") {
  std::string cmd = longwriter_bin() + " " + args + " 2>&1";
  if (!stdin_text.empty()) {
    std::string esc;
    for (char c : stdin_text) esc += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    cmd = "printf '%s' '" + esc + "' | " + cmd;
  } else {
    cmd = cmd + " < /dev/null";
  }
  return run_shell(cmd);
}

}  // namespace lw::testing
