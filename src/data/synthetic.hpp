#pragma once
// Synthetic sequence-length mixes for packing experiments (tests and bench/bench_pack.cpp).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lw::data {

// A LongWriter-6k-like SFT mix at pack length max_len (32768 in the paper): 55% short general-chat
// sequences (64..1k tokens, log-uniform), 35% long-output ones of 1k..4k tokens (uniform), 10% a
// tail of 4k..max_len (log-uniform). Deterministic for a seed.
std::vector<uint32_t> longwriter_length_mix(size_t n, int64_t max_len, uint64_t seed);

}  // namespace lw::data
