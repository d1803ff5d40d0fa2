#include "serve/sampling_fields.hpp"

namespace lw::serve {

engine::SamplingParams with_extras(engine::SamplingParams p, const net::SamplingExtras& x) {
  auto f = [](const std::optional<double>& v, float& dst) {
    if (v) dst = static_cast<float>(*v);
  };
  auto i = [](const std::optional<int64_t>& v, int& dst) {
    if (v) dst = static_cast<int>(*v);
  };
  if (x.top_k) p.top_k = *x.top_k < 0 ? 0 : static_cast<int>(*x.top_k);
  f(x.min_p, p.min_p);
  f(x.repetition_penalty, p.repetition_penalty);
  f(x.frequency_penalty, p.frequency_penalty);
  f(x.presence_penalty, p.presence_penalty);
  i(x.penalty_last_n, p.penalty_last_n);
  f(x.dry_multiplier, p.dry.multiplier);
  f(x.dry_base, p.dry.base);
  i(x.dry_allowed_length, p.dry.allowed_length);
  i(x.dry_penalty_last_n, p.dry.penalty_last_n);
  if (x.dry_sequence_breakers) p.dry.sequence_breakers = *x.dry_sequence_breakers;
  if (!x.logit_bias.empty()) {
    p.logit_bias.clear();
    for (const auto& [id, b] : x.logit_bias) p.logit_bias.emplace_back(id, static_cast<float>(b));
  }
  return p;
}

}  // namespace lw::serve
