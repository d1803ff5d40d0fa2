#pragma once
// The client side of tests against FakeOpenAIServer (fake_openai.hpp): options that fail fast
// (short timeouts, millisecond backoff) and a one-message request.
#include <string>

#include "net/openai_client.hpp"

namespace lw::testing {

// Options for the fake server at `urls` (comma-separated): model "fake-model", 1 s connect and 5 s
// request timeouts, 3 retries with 10-50 ms backoff.
inline net::ClientOptions fast_client_options(const std::string& urls) {
  net::ClientOptions o;
  o.base_urls = net::split_base_urls(urls);
  o.default_model = "fake-model";
  o.connect_timeout_s = 1;
  o.timeout_s = 5;
  o.max_retries = 3;
  o.backoff_base_s = 0.01;
  o.backoff_cap_s = 0.05;
  return o;
}

// A request with one user message.
inline net::ChatRequest user_message(const std::string& text) {
  net::ChatRequest r;
  r.messages = {{"user", text}};
  return r;
}

}  // namespace lw::testing
