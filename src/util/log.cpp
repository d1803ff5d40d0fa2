#include "util/log.hpp"

#include <algorithm>
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

// Any run of at least this many characters copied from a secret is redacted: a server that echoes
// the key without its "sk-" scheme prefix, or a prefix/suffix/middle of it, still gets "***".
constexpr size_t kMinSecretRun = 8;

// The longest n such that text[i, i+n) is a substring of secret.
size_t longest_run_at(const std::string& text, size_t i, const std::string& secret) {
  size_t best = 0;
  for (size_t j = 0; j < secret.size(); ++j) {
    size_t n = 0;
    while (i + n < text.size() && j + n < secret.size() && text[i + n] == secret[j + n]) ++n;
    best = std::max(best, n);
  }
  return best;
}

std::string redact_locked(std::string text) {
  for (const auto& s : g_secrets) text = redact_secret(std::move(text), s);
  return text;
}

}  // namespace

std::string redact_secret(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  const size_t min_run = std::min(kMinSecretRun, secret.size());
  bool in_secret[256] = {};
  for (unsigned char c : secret) in_secret[c] = true;
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = in_secret[static_cast<unsigned char>(text[i])] ? longest_run_at(text, i, secret) : 0;
    if (n >= min_run) {
      out += "***";
      i += n;
    } else {
      out += text[i++];
    }
  }
  return out;
}

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
