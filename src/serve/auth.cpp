#include "serve/auth.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool valid_key(std::string_view k) {
  for (unsigned char c : k)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

ApiKeys::ApiKeys(std::vector<std::string> keys) : keys_(std::move(keys)) {
  for (const auto& k : keys_) log::add_secret(k);
}

std::vector<std::string> ApiKeys::parse(std::string_view text, const std::string& source) {
  std::vector<std::string> keys;
  size_t line_no = 0, pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line.front() == '#') continue;
    if (!valid_key(line)) {
      log::add_secret(std::string(line));  // the message below must not show it either
      fail_input("{}:{}: an API key may not contain spaces or control characters", source, line_no);
    }
    keys.emplace_back(line);
  }
  return keys;
}

ApiKeys ApiKeys::load(const std::filesystem::path& file, const char* env_var) {
  std::vector<std::string> keys;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail_input("--api-key-file {}: cannot be read", file.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    keys = parse(ss.str(), "--api-key-file " + file.string());
    if (keys.empty())
      fail_input("--api-key-file {}: no key in it (one key per line; '#' starts a comment)", file.string());
  }
  if (env_var != nullptr) {
    if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') {
      auto more = parse(v, std::string("$") + env_var);
      keys.insert(keys.end(), more.begin(), more.end());
    }
  }
  return ApiKeys(std::move(keys));
}

bool constant_time_equal(std::string_view given, std::string_view expected) {
  // Every byte of `given` is compared with a byte of `expected` (cycled), so the work done
  // depends on given.size() only; the length difference is folded into the result.
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  if (expected.empty()) return given.empty();
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  return diff == 0;
}

bool ApiKeys::authorized(std::string_view authorization) const {
  authorization = trim(authorization);
  const size_t sp = authorization.find(' ');
  if (sp == std::string_view::npos || !iequals(authorization.substr(0, sp), "Bearer")) return false;
  const std::string_view given = trim(authorization.substr(sp + 1));
  if (given.empty()) return false;
  bool ok = false;
  for (const auto& k : keys_) ok |= constant_time_equal(given, k);  // no early exit
  return ok;
}

nlohmann::json unauthorized_json(bool missing) {
  const char* message = missing
                            ? "You didn't provide an API key. You need to provide your API key in an "
                              "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                            : "Incorrect API key provided.";
  return {{"error",
           {{"message", message},
            {"type", "invalid_request_error"},
            {"param", nullptr},
            {"code", "invalid_api_key"}}}};
}

}  // namespace lw::serve
