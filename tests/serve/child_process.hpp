#pragma once
// A child process (the longwriter binary) whose stdout, and optionally stderr, is a pipe the test
// reads line by line; killed (SIGTERM) and reaped on destruction or by finish().
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace lw::testing {

class Child {
 public:
  explicit Child(const std::vector<std::string>& argv, bool with_stderr = false) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    if (with_stderr) posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out_ = ::fdopen(fds[0], "r");
  }
  ~Child() {
    stop();
    if (out_) std::fclose(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next line of output ("" at end of file).
  std::string line() {
    char buf[4096];
    if (!out_ || !std::fgets(buf, sizeof buf, out_)) return "";
    return buf;
  }
  // Stops the process and returns the output it left unread.
  std::string finish() {
    stop();
    std::string rest, l;
    while (!(l = line()).empty()) rest += l;
    return rest;
  }
  bool started() const { return pid_ > 0; }

 private:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  pid_t pid_ = -1;
  std::FILE* out_ = nullptr;
};

}  // namespace lw::testing
