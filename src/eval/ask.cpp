#include "eval/ask.hpp"

namespace lw::eval {

AskOutcome ask_until_accepted(net::ChatBackend& backend, const net::ChatRequest& req, int max_attempts,
                              const std::function<std::string(const std::string& answer)>& check) {
  AskOutcome o;
  while (o.attempts < max_attempts) {
    ++o.attempts;
    try {
      o.raw = backend.complete(req).content;
    } catch (const std::exception& e) {
      o.net_error = e.what();
      return o;
    }
    o.last_error = check(o.raw);
    if (o.last_error.empty()) {
      o.ok = true;
      return o;
    }
    o.rejected.push_back({{"raw", o.raw}, {"error", o.last_error}});
  }
  return o;
}

}  // namespace lw::eval
