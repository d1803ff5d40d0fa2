#pragma once
// Cross-origin access for browser clients (--cors-origin). Off by default: no CORS header is ever
// sent, so a page from another origin cannot read a reply (and cannot send a JSON POST at all,
// since application/json needs a preflight that is not granted).
//
// With origins configured, a preflight (OPTIONS with Origin and Access-Control-Request-Method) from
// an allowed origin is answered 204 with Access-Control-Allow-Origin/-Methods/-Headers (Authorization,
// Content-Type) and -Max-Age; every reply carries Vary: Origin, and a reply to an allowed origin
// Access-Control-Allow-Origin (the server adds both). "*" allows every origin (replies then say "*": no
// cookies are involved, the key travels in Authorization).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lw::serve {

class CorsPolicy {
 public:
  CorsPolicy() = default;
  // Origins as the browser sends them ("https://app.example.com", "http://localhost:3000") or "*".
  // Throws InputError for a value that is not "*" nor scheme://host[:port].
  explicit CorsPolicy(std::vector<std::string> origins);

  bool enabled() const { return !origins_.empty() || any_; }
  // The Access-Control-Allow-Origin value for a request's Origin, or "" when none may be sent.
  std::string allow_origin(std::string_view origin) const;
  // The headers of a granted preflight (allow_origin(origin) non-empty), in order.
  std::vector<std::pair<std::string, std::string>> preflight_headers(std::string_view origin) const;

  static constexpr int max_age_s = 600;

 private:
  std::vector<std::string> origins_;
  bool any_ = false;
};

}  // namespace lw::serve
