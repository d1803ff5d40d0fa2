#pragma once
// The Host header check that keeps `serve` answering only its own clients (DNS rebinding, issue 26).
// A web page the user visits can make the browser send requests to 127.0.0.1 under the page's own
// name (a name the attacker first resolves to the attacker, then to 127.0.0.1); the browser then
// sends that name in Host. Refusing every name the server does not know stops it.
//
// Accepted Host values (compared without case, with or without a :port, a trailing dot ignored):
//   - localhost, 127.0.0.1, [::1], and the address the server is bound to;
//   - every name given with --allowed-host ("*" accepts any Host: the check is off);
//   - with a non-loopback bind (0.0.0.0, ::, a LAN address): any IP literal as well (a rebinding
//     page always reaches the server under a name, never under an IP, so an IP literal is safe),
//     while names other than localhost must still be given with --allowed-host.
// A request without a Host header is accepted: browsers always send one, so an attack cannot lack it.
#include <string>
#include <string_view>
#include <vector>

namespace lw::serve {

struct HostPolicy {
  std::string bind_host = "127.0.0.1";  // the address the server listens on
  std::vector<std::string> allowed;     // --allowed-host names
};

// Whether `host` (a Host header value, empty when absent) may be served under `policy`.
bool host_allowed(std::string_view host, const HostPolicy& policy);

// True for an address only this machine can reach: 127.0.0.0/8, ::1, "localhost".
bool is_loopback_host(std::string_view host);

// The name part of a Host value: "[::1]:8080" -> "::1", "Example.COM.:80" -> "example.com".
// Returns "" for a malformed value (bad port, unclosed bracket).
std::string host_name_of(std::string_view host);

}  // namespace lw::serve
