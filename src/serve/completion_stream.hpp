#pragma once
// The choices of one /v1/chat/completions or /v1/completions request (OpenAI's n) run through
// ChatBackend::complete_n, whole or streamed as Server-Sent Events. No sockets here: the stream
// goes to a write function, so the event sequence is tested without a server.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "net/chat.hpp"
#include "serve/openai_api.hpp"

namespace lw::serve {

// Streams p.n choices: for chat, every choice's opening chunk (role) first; then each piece of
// choice i as it arrives (choices[0].index = i, with its logprobs when asked for), and choice i's
// closing chunk (its finish_reason) as soon as it ends. plain: text_completion chunks. Returns the
// replies; the caller writes the usage chunk and [DONE].
std::vector<net::ChatResponse> stream_choices(net::ChatBackend& backend, const ParsedRequest& p, bool plain,
                                              const std::string& id, const std::string& model,
                                              int64_t created,
                                              const std::function<void(const std::string&)>& write);

// The replies of one request as one, for logs and metrics: usage summed (summed_usage), the
// longest wall, prefill and decode times, the finish reasons joined with ",".
net::ChatResponse merged_reply(const std::vector<net::ChatResponse>& replies);

}  // namespace lw::serve
