#pragma once
// Asking a judge until its answer parses: the bounded-retry loop shared by `bench judge` and
// `bench writingbench judge`.
#include <functional>
#include <string>

#include "io/jsonl.hpp"
#include "net/chat.hpp"

namespace lw::eval {

struct AskOutcome {
  bool ok = false;                        // the last answer was accepted
  std::string raw;                        // the last answer, verbatim
  int attempts = 0;                       // answers asked for (including a request that failed)
  std::string net_error;                  // set when a request failed (nothing more was asked)
  std::string last_error;                 // the parser's reason for rejecting the last answer
  io::Json rejected = io::Json::array();  // [{"raw", "error"}] for every rejected answer
};

// Sends `req` up to max_attempts times until check(answer) returns "" (accepted); a non-empty
// return is the reason for rejecting it. A request that throws ends the loop with net_error.
AskOutcome ask_until_accepted(net::ChatBackend& backend, const net::ChatRequest& req, int max_attempts,
                              const std::function<std::string(const std::string& answer)>& check);

}  // namespace lw::eval
