#include "net/chat.hpp"

namespace lw::net {

ChatBackend::~ChatBackend() = default;

std::vector<ChatResponse> ChatBackend::complete_n(const ChatRequest& request, int n,
                                                  const ChoiceCallbacks& cb) {
  std::vector<ChatResponse> out;
  for (int i = 0; i < n; ++i) {
    ChatRequest r = request;
    if (r.seed) r.seed = static_cast<int64_t>(static_cast<uint64_t>(*r.seed) + static_cast<uint64_t>(i));
    if (cb.on_logprobs)
      r.on_logprobs = [&cb, i](std::vector<TokenLogprob> lps) { cb.on_logprobs(i, std::move(lps)); };
    DeltaCallback d;
    if (cb.on_delta) d = [&cb, i](std::string_view piece) { cb.on_delta(i, piece); };
    out.push_back(complete(r, d));
    if (cb.on_done) cb.on_done(i, out.back());
  }
  return out;
}

}  // namespace lw::net

namespace lw::net {

SamplingExtras merged(const SamplingExtras& base, const SamplingExtras& over) {
  SamplingExtras m = base;
  auto take = [](auto& dst, const auto& src) {
    if (src) dst = src;
  };
  take(m.top_k, over.top_k);
  take(m.min_p, over.min_p);
  take(m.repetition_penalty, over.repetition_penalty);
  take(m.frequency_penalty, over.frequency_penalty);
  take(m.presence_penalty, over.presence_penalty);
  take(m.penalty_last_n, over.penalty_last_n);
  take(m.dry_multiplier, over.dry_multiplier);
  take(m.dry_base, over.dry_base);
  take(m.dry_allowed_length, over.dry_allowed_length);
  take(m.dry_penalty_last_n, over.dry_penalty_last_n);
  take(m.dry_sequence_breakers, over.dry_sequence_breakers);
  if (!over.logit_bias.empty()) m.logit_bias = over.logit_bias;
  return m;
}

}  // namespace lw::net
