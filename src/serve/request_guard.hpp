#pragma once
// Who may talk to `serve` and how (issues 26 and 27): the checks every request passes before it is
// routed, in this order, as one pure function of the request's method, path and headers:
//
//   1. Host not allowed (serve/host_check.hpp)                        -> 403 host_not_allowed
//   2. OPTIONS: a CORS preflight, answered 204 at once; with the CORS headers only for an allowed
//      Origin (serve/cors.hpp), so browsers send no Authorization on it and need none
//   3. API keys configured and the path is not /health or / (the page; its API calls need the key)
//      (nor /metrics with metrics_public):
//      no or a wrong `Authorization: Bearer KEY` (serve/auth.hpp)     -> 401 invalid_api_key
//   4. POST whose Content-Type is not application/json (parameters such as charset allowed)
//                                                                      -> 415 unsupported_media_type
//      (an HTML form or a "simple" cross-origin fetch cannot send application/json without a
//      preflight, which is not granted unless --cors-origin says so)
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/auth.hpp"
#include "serve/cors.hpp"
#include "serve/host_check.hpp"

namespace lw::serve {

struct AccessPolicy {
  HostPolicy hosts;
  ApiKeys keys;                 // none: no authentication
  CorsPolicy cors;              // none: no CORS header, ever
  bool metrics_public = false;  // /metrics without a key
};

// The parts of a request the guard looks at ("" for an absent header).
struct GuardInput {
  std::string_view method, path, host, origin, authorization, content_type;
};

struct GuardResult {
  int status = 0;       // 0: pass the request on; else answer it with this status
  nlohmann::json body;  // the error body (null for a 204)
  std::vector<std::pair<std::string, std::string>> headers;
};

GuardResult guard_request(const GuardInput& in, const AccessPolicy& policy);

// What to warn about at start: a non-loopback bind without a key (anyone on the network can use
// the model), /metrics public on such a bind, CORS for every origin without a key.
std::vector<std::string> exposure_warnings(std::string_view bind_host, const AccessPolicy& policy);

// "application/json", without case, optionally followed by parameters ("; charset=utf-8").
bool is_json_media_type(std::string_view content_type);

}  // namespace lw::serve
