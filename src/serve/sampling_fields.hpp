#pragma once
// The request's sampling fields (net::ChatRequest: temperature, top_p, seed and the extras) as the
// engine's sampler chain parameters (engine/sampler.hpp).
#include <cstdint>

#include "engine/sampler.hpp"
#include "net/chat.hpp"

namespace lw::serve {

// Fields left unset keep the values of `base` (the defaults); logit_bias and the DRY breakers are
// taken when set.
engine::SamplingParams with_extras(engine::SamplingParams base, const net::SamplingExtras& x);

}  // namespace lw::serve
