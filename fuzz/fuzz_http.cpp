// What serve reads from a client: the request head as the connection gate examines it, then the
// chat request body. The input is a raw request; the body is what follows the head.
#include "fuzz_util.hpp"
#include "serve/openai_api.hpp"
#include "serve/request_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lw;
  const std::string_view raw = fuzz::as_text(data, size);
  serve::HeadLimits limits;
  limits.max_body_bytes = 1 << 20;
  const serve::RequestHead h = serve::examine_request_head(raw, limits);
  if (h.state == serve::RequestHead::State::complete) {
    if (h.head_bytes > raw.size() || h.body_bytes > limits.max_body_bytes) __builtin_trap();
    if (h.expect_continue && !(h.expect_begin < h.expect_end && h.expect_end <= h.head_bytes)) __builtin_trap();
  }
  if (h.state == serve::RequestHead::State::reject && h.status != 400 && h.status != 411 && h.status != 413 &&
      h.status != 431)
    __builtin_trap();
  // The body: everything after the head, or the whole input when there is no complete head.
  std::string_view body = h.state == serve::RequestHead::State::complete ? raw.substr(h.head_bytes) : raw;
  try {
    (void)serve::parse_chat_request(body);
  } catch (const serve::BadRequest&) {
  }
  return 0;
}
