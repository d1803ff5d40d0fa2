#include "serve/host_check.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace lw::serve {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return ::inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool is_ip_literal(const std::string& name) {
  return is_ipv4(name) || is_ipv6(name);
}

// The bound address as a name: "0.0.0.0" and "::" bind every address, so they name none.
bool names_every_address(const std::string& bind) {
  return bind.empty() || bind == "0.0.0.0" || bind == "::";
}

}  // namespace

std::string host_name_of(std::string_view host) {
  std::string_view name = host;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return "";
    name = host.substr(1, close - 1);
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "";
      port = rest.substr(1);
      if (!all_digits(port)) return "";
    }
    std::string n = lower(name);
    return is_ipv6(n) ? n : "";
  }
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    if (host.find(':') != colon) return "";  // a bare IPv6 address is not a valid Host
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
    if (!all_digits(port)) return "";
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return "";
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '_')) return "";
  return lower(name);
}

bool is_loopback_host(std::string_view host) {
  std::string h = lower(host);
  if (!h.empty() && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost") return true;
  in_addr a4{};
  if (::inet_pton(AF_INET, h.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (::inet_pton(AF_INET6, h.c_str(), &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return false;
}

bool host_allowed(std::string_view host, const HostPolicy& policy) {
  for (const auto& a : policy.allowed)
    if (a == "*") return true;
  if (host.empty()) return true;
  const std::string name = host_name_of(host);
  if (name.empty()) return false;
  if (name == "localhost" || name == "127.0.0.1" || name == "::1") return true;
  const std::string bind = host_name_of(policy.bind_host);
  if (!names_every_address(policy.bind_host) && name == bind) return true;
  for (const auto& a : policy.allowed)
    if (host_name_of(a) == name) return true;
  if (!is_loopback_host(policy.bind_host) && is_ip_literal(name)) return true;
  return false;
}

}  // namespace lw::serve
