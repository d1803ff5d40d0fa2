#pragma once
// The one vocabulary of loss weightings, shared by the pack format (whose per-token weights and
// manifest "weighting" it names; data/row_builder.hpp) and the trainer (how it normalises the loss
// over a global batch; train/batch.hpp).
//   token:      every labelled token weighs the same (a token mean).
//   sequence:   each sequence's mean, then the mean over sequences.
//   longalign:  each sequence's labelled tokens weigh 1/(its labelled count) in the pack (every
//               sequence sums to 1; LongAlign's); the trainer divides by K.
//   longwriter: a trainer mode only: the token mean times (sequences in the global batch) / K, the
//               LongWriter paper's loss. Packs cannot be built with it.
#include <string>
#include <string_view>

namespace lw::io {

enum class Weighting { token, sequence, longalign, longwriter };

// Any of the four names; an InputError naming OPTION and the names otherwise.
Weighting parse_weighting(std::string_view name, std::string_view option = "--weighting");
std::string weighting_name(Weighting w);

}  // namespace lw::io
