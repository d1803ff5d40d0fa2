#pragma once
// One error policy (docs/reliability.md, "The rule"): exceptions carrying context inside modules; at the CLI
// boundary one clear line on stderr and exit code 2 (InputError: bad input or usage) or 1 (Error:
// runtime failure).
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace lw {

// A runtime failure (network down, disk full, server error): exit code 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input from the user: a malformed file, an invalid option value. Exit code 2. The message
// names the file, line or field and what was expected.
class InputError : public Error {
 public:
  using Error::Error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail_input(fmt::format_string<Args...> f, Args&&... args) {
  throw InputError(fmt::format(f, std::forward<Args>(args)...));
}

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace lw

// An invariant that stays on in release builds (cheap checks only). Failing it is a bug, not bad
// input: it throws lw::Error naming the source location.
#define LW_CHECK(cond, ...)                                                   \
  do {                                                                        \
    if (!(cond)) ::lw::check_failed(#cond, __FILE__, __LINE__, fmt::format("" __VA_ARGS__)); \
  } while (0)
