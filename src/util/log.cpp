#include "util/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <vector>

#include "util/error.hpp"
#include "util/progress.hpp"

namespace lw::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Sink> g_sink{nullptr};
std::mutex g_mu;  // guards g_secrets and serialises writes
std::vector<std::string> g_secrets;

const char* level_name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warning";
    case Level::error: return "error";
    default: return "";
  }
}

std::string redact_locked(std::string text) {
  for (const auto& s : g_secrets) {
    for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3)) {
      text.replace(pos, s.size(), "***");
    }
  }
  return text;
}

}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  if (name == "off") return Level::off;
  fail_input("--log-level: expected one of debug, info, warn, error, off; got \"{}\"", name);
}

void add_secret(const std::string& secret) {
  if (secret.empty()) return;
  std::lock_guard lk(g_mu);
  g_secrets.push_back(secret);
}

std::string redact(std::string text) {
  std::lock_guard lk(g_mu);
  return redact_locked(std::move(text));
}

void set_sink(Sink sink) { g_sink = sink; }

void write(Level l, std::string_view msg) {
  std::lock_guard lk(g_mu);
  std::string line = redact_locked(fmt::format("longwriter: {}: {}", level_name(l), msg));
  if (Sink s = g_sink.load()) {
    s(l, line);
    return;
  }
  progress_clear_line_for_log();
  std::fputs(line.c_str(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace lw::log
