#pragma once
// Which sequences go into which pack row. Pure functions on sequence lengths, so the strategies can
// be compared without tokenizing anything.
//   nextfit: input order; fill the current row until the next sequence does not fit, then start a
//            new one (the reference behaviour; the final partial row is kept).
//   bfd:     best-fit decreasing: longest first, each into the open row with the least room that
//            still fits it (a new row if none does); rows then shuffled with the seed. Sequences in
//            a row keep their input order.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lw::data {

enum class Strategy { nextfit, bfd };
Strategy parse_strategy(std::string_view name);  // InputError for anything else
std::string strategy_name(Strategy s);

using Bins = std::vector<std::vector<uint32_t>>;  // row -> indices into lengths

// Every length must be in [1, max_len].
Bins plan_nextfit(std::span<const uint32_t> lengths, int64_t max_len);
Bins plan_bfd(std::span<const uint32_t> lengths, int64_t max_len, uint64_t seed);
Bins plan(Strategy s, std::span<const uint32_t> lengths, int64_t max_len, uint64_t seed);

// Fraction of rows * max_len covered by sequences.
double plan_efficiency(const Bins& bins, std::span<const uint32_t> lengths, int64_t max_len);

// A deterministic, platform-independent Fisher-Yates shuffle (splitmix64).
void shuffle_bins(Bins& bins, uint64_t seed);

}  // namespace lw::data
