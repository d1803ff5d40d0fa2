#pragma once
// The one rule for the 1-D sequence boundaries of a packed row (the pack format, the trainer's
// varlen attention, the engine's packed prefill): (n_seq + 1) offsets into a row of T tokens with
// cu[0] == 0, cu[n_seq] == T and every sequence non-empty (strictly increasing).
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace lw::io {

// What is wrong with `cu` for a row of T tokens ("" when nothing is).
template <typename I>
std::string cu_seqlens_error(std::span<const I> cu, int64_t T) {
  if (cu.size() < 2) return fmt::format("cu_seqlens has {} entries, expected at least 2", cu.size());
  if (cu[0] != 0) return fmt::format("cu_seqlens[0] is {}, expected 0", static_cast<int64_t>(cu[0]));
  for (size_t k = 1; k < cu.size(); ++k) {
    if (cu[k] <= cu[k - 1])
      return fmt::format("cu_seqlens not strictly increasing at index {} ({} after {})", k,
                         static_cast<int64_t>(cu[k]), static_cast<int64_t>(cu[k - 1]));
    if (static_cast<int64_t>(cu[k]) > T)
      return fmt::format("cu_seqlens[{}] = {} exceeds the row length {}", k, static_cast<int64_t>(cu[k]), T);
  }
  if (static_cast<int64_t>(cu.back()) != T)
    return fmt::format("cu_seqlens ends at {}, expected the row length {}", static_cast<int64_t>(cu.back()),
                       T);
  return {};
}

}  // namespace lw::io
