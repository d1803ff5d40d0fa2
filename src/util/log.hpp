#pragma once
// Process-wide logging to stderr with levels, plus secret redaction: every registered secret (an
// API key) is replaced by "***" in every line that passes through here, so keys never reach a log.
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lw::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

void set_level(Level level);
Level level();
// Parses "debug", "info", "warn", "error", "off"; throws InputError otherwise.
Level parse_level(std::string_view name);

// Registers a secret to redact from every log line and from redact(). Empty strings are ignored.
void add_secret(const std::string& secret);
// Returns text with every registered secret replaced by "***", and with it every run of 8 or more
// characters copied from one (the key without its "sk-" prefix, a half of it, ...).
std::string redact(std::string text);
// The same for one secret that is not registered.
std::string redact_secret(std::string text, const std::string& secret);

// Sink for tests: when set, lines go to the sink instead of stderr.
using Sink = void (*)(Level, const std::string& line);
void set_sink(Sink sink);

void write(Level level, std::string_view msg);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::debug) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::info) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::warn) write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::error) write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace lw::log
