#include "serve/request_guard.hpp"

#include <cctype>

#include <fmt/format.h>

#include "serve/openai_api.hpp"

namespace lw::serve {

namespace {

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 100)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out;
}

bool needs_key(std::string_view path, const AccessPolicy& p) {
  // The page at / holds no secret (its API calls carry the key).
  if (!p.keys.enabled() || path == "/health" || path == "/") return false;
  return !(path == "/metrics" && p.metrics_public);
}

}  // namespace

bool is_json_media_type(std::string_view ct) {
  const size_t semi = ct.find(';');
  std::string_view type = ct.substr(0, semi);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view json = "application/json";
  if (type.size() != json.size()) return false;
  for (size_t i = 0; i < json.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(type[i])) != json[i]) return false;
  return true;
}

std::vector<std::string> exposure_warnings(std::string_view bind_host, const AccessPolicy& p) {
  std::vector<std::string> w;
  const bool exposed = !is_loopback_host(bind_host);
  if (exposed && !p.keys.enabled())
    w.push_back(
        fmt::format("listening on {} without an API key: anyone who can reach this address can use the "
                    "model (give --api-key-file or set $LONGWRITER_API_KEY)",
                    bind_host));
  if (exposed && p.keys.enabled() && p.metrics_public)
    w.push_back(fmt::format("/metrics is served without a key (--metrics-public) on {}", bind_host));
  if (!p.keys.enabled() && p.cors.allow_origin("null") == "*")
    w.push_back("--cors-origin '*' without an API key: any web page the user opens can use the model");
  return w;
}

GuardResult guard_request(const GuardInput& in, const AccessPolicy& p) {
  GuardResult r;
  if (!host_allowed(in.host, p.hosts)) {
    r.status = 403;
    r.body = error_json(fmt::format("Host '{}' is not allowed: serve answers only localhost, its own address "
                                    "and the names given with --allowed-host",
                                    printable(in.host)),
                        "invalid_request_error", "host_not_allowed");
    return r;
  }
  if (in.method == "OPTIONS") {
    r.status = 204;
    r.headers = p.cors.preflight_headers(in.origin);
    r.headers.emplace_back("Allow", "GET, POST, OPTIONS");
    return r;
  }
  if (needs_key(in.path, p) && !p.keys.authorized(in.authorization)) {
    r.status = 401;
    r.body = unauthorized_json(in.authorization.empty());
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (in.method == "POST" && !is_json_media_type(in.content_type)) {
    r.status = 415;
    r.body = error_json(fmt::format("Content-Type '{}' is not supported: send the body as application/json",
                                    printable(in.content_type)),
                        "invalid_request_error", "unsupported_media_type");
    return r;
  }
  return r;
}

}  // namespace lw::serve
