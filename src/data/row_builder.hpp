#pragma once
// Building one pack row from its sequences: concatenate, pad to L, boundaries, labels, loss weights.
//   longalign: each sequence's labelled tokens weigh 1/(its labelled count): every sequence sums to 1
//              (the LongWriter/LongAlign reference).
//   token:     every labelled token weighs 1 (a plain token-mean when the trainer divides by the
//              sum of weights).
//   sequence:  1/(labelled count * sequences in the row): every row sums to 1, its sequences equally.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "data/pack_names.hpp"

namespace lw::data {

enum class Weighting { longalign, token, sequence };
Weighting parse_weighting(std::string_view name);  // InputError for anything else
std::string weighting_name(Weighting w);

struct SeqView {
  std::span<const uint32_t> ids;     // (n)
  std::span<const uint8_t> labels;   // (n)
};

// The sequences must fit: sum of lengths <= max_len, each non-empty with a labelled token.
void build_row(std::span<const SeqView> seqs, int64_t max_len, uint32_t pad_id, Weighting weighting, PackRow& row);

}  // namespace lw::data
