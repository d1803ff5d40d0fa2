#include "serve/cors.hpp"

#include <algorithm>
#include <cctype>

#include "util/error.hpp"

namespace lw::serve {

namespace {

// Origins compare as the browser serializes them: scheme and host without case, no trailing slash.
std::string normalize(std::string_view origin) {
  std::string o(origin);
  while (!o.empty() && o.back() == '/') o.pop_back();
  std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return std::tolower(c); });
  return o;
}

bool looks_like_origin(const std::string& o) {
  const size_t sep = o.find("://");
  if (sep == std::string::npos || sep == 0 || sep + 3 >= o.size()) return false;
  for (size_t i = sep + 3; i < o.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(o[i]);
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'))
      return false;
  }
  return true;
}

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> origins) {
  for (const auto& raw : origins) {
    if (raw == "*") {
      any_ = true;
      continue;
    }
    std::string o = normalize(raw);
    if (!looks_like_origin(o))
      fail_input(
          "--cors-origin {}: expected '*' or an origin such as https://app.example.com or "
          "http://localhost:3000",
          raw);
    origins_.push_back(std::move(o));
  }
}

std::string CorsPolicy::allow_origin(std::string_view origin) const {
  if (origin.empty()) return "";
  if (any_) return "*";
  const std::string o = normalize(origin);
  return std::find(origins_.begin(), origins_.end(), o) != origins_.end() ? std::string(origin) : "";
}

std::vector<std::pair<std::string, std::string>> CorsPolicy::preflight_headers(
    std::string_view origin) const {
  const std::string allow = allow_origin(origin);
  if (allow.empty()) return {};
  return {{"Access-Control-Allow-Origin", allow},
          {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
          {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
          {"Access-Control-Max-Age", std::to_string(max_age_s)},
          {"Vary", "Origin"}};
}

}  // namespace lw::serve
