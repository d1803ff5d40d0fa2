#include "serve/completion_stream.hpp"

#include <algorithm>

namespace lw::serve {

using Json = nlohmann::json;

std::vector<net::ChatResponse> stream_choices(net::ChatBackend& backend, const ParsedRequest& p, bool plain,
                                              const std::string& id, const std::string& model,
                                              int64_t created,
                                              const std::function<void(const std::string&)>& write) {
  const auto n = static_cast<size_t>(p.n);
  if (!plain)
    for (size_t i = 0; i < n; ++i)
      write(sse_event(with_choice_index(chunk_json(id, model, created, "", /*role_first=*/true, ""),
                                        static_cast<int>(i))));
  const bool logprobs = p.chat.top_logprobs.has_value();
  std::vector<std::vector<net::TokenLogprob>> pending(n);  // of each choice's next piece
  std::vector<size_t> offset(n, 0);  // bytes of token text streamed per choice (legacy text_offset)
  net::ChoiceCallbacks cb;
  if (logprobs)
    cb.on_logprobs = [&](int i, std::vector<net::TokenLogprob> got) {
      auto& v = pending[static_cast<size_t>(i)];
      v.insert(v.end(), got.begin(), got.end());
    };
  cb.on_delta = [&](int i, std::string_view d) {
    if (d.empty()) return;
    auto& lps = pending[static_cast<size_t>(i)];
    Json chunk =
        plain ? text_chunk_json(id, model, created, d, "",
                                logprobs ? legacy_logprobs_json(lps, offset[static_cast<size_t>(i)]) : Json())
              : chunk_json(id, model, created, d, false, "", logprobs ? logprobs_json(lps) : Json());
    write(sse_event(with_choice_index(std::move(chunk), i)));
    for (const auto& t : lps) offset[static_cast<size_t>(i)] += t.token.size();
    lps.clear();
  };
  cb.on_done = [&](int i, const net::ChatResponse& r) {
    write(sse_event(with_choice_index(plain ? text_chunk_json(id, model, created, "", r.finish_reason)
                                            : chunk_json(id, model, created, "", false, r.finish_reason),
                                      i)));
  };
  return backend.complete_n(p.chat, p.n, cb);
}

net::ChatResponse merged_reply(const std::vector<net::ChatResponse>& replies) {
  net::ChatResponse m;
  if (replies.empty()) return m;
  m.model = replies.front().model;
  m.usage = summed_usage(replies);
  for (const auto& r : replies) {
    m.finish_reason += (m.finish_reason.empty() ? "" : ",") + r.finish_reason;
    m.seconds = std::max(m.seconds, r.seconds);
    m.prefill_seconds = std::max(m.prefill_seconds, r.prefill_seconds);
    m.decode_seconds = std::max(m.decode_seconds, r.decode_seconds);
    m.drafted_tokens += r.drafted_tokens;
    m.accepted_tokens += r.accepted_tokens;
  }
  return m;
}

}  // namespace lw::serve
