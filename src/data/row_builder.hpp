#pragma once
// Building one pack row from its sequences: concatenate, pad to L, boundaries, labels, loss weights
// (io/weighting.hpp names them):
//   longalign: each sequence's labelled tokens weigh 1/(its labelled count): every sequence sums to 1
//              (the LongWriter/LongAlign reference).
//   token:     every labelled token weighs 1 (a plain token-mean when the trainer divides by the
//              sum of weights).
//   sequence:  1/(labelled count * sequences in the row): every row sums to 1, its sequences equally.
//   longwriter is a training loss only (train --weighting): no pack weights of its own.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "data/pack_names.hpp"
#include "io/weighting.hpp"

namespace lw::data {

using io::Weighting;
using io::weighting_name;
// The weightings a pack can store (longalign, token, sequence); an InputError for anything else.
Weighting parse_pack_weighting(std::string_view name);

struct SeqView {
  std::span<const uint32_t> ids;     // (n)
  std::span<const uint8_t> labels;   // (n)
};

// The sequences must fit: sum of lengths <= max_len, each non-empty with a labelled token.
void build_row(std::span<const SeqView> seqs, int64_t max_len, uint32_t pad_id, Weighting weighting, PackRow& row);

}  // namespace lw::data
