#include "data/planner.hpp"

#include <algorithm>
#include <map>
#include <numeric>

#include "util/error.hpp"

namespace lw::data {

Strategy parse_strategy(std::string_view name) {
  if (name == "nextfit") return Strategy::nextfit;
  if (name == "bfd") return Strategy::bfd;
  fail_input("unknown packing strategy \"{}\" (expected nextfit or bfd)", name);
}

std::string strategy_name(Strategy s) { return s == Strategy::nextfit ? "nextfit" : "bfd"; }

namespace {

void check_lengths(std::span<const uint32_t> lengths, int64_t max_len) {
  for (size_t i = 0; i < lengths.size(); ++i)
    LW_CHECK(lengths[i] >= 1 && lengths[i] <= max_len, "sequence {} has length {} outside [1, {}]", i,
             lengths[i], max_len);
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Bins plan_nextfit(std::span<const uint32_t> lengths, int64_t max_len) {
  check_lengths(lengths, max_len);
  Bins bins;
  int64_t used = max_len + 1;  // forces a new row for the first sequence
  for (size_t i = 0; i < lengths.size(); ++i) {
    if (used + lengths[i] > max_len) {
      bins.emplace_back();
      used = 0;
    }
    bins.back().push_back(static_cast<uint32_t>(i));
    used += lengths[i];
  }
  return bins;
}

Bins plan_bfd(std::span<const uint32_t> lengths, int64_t max_len, uint64_t seed) {
  check_lengths(lengths, max_len);
  std::vector<uint32_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return lengths[a] > lengths[b]; });
  Bins bins;
  std::multimap<int64_t, size_t> room;  // free space -> row, for rows with space left
  for (uint32_t i : order) {
    auto it = room.lower_bound(lengths[i]);
    size_t row;
    int64_t left;
    if (it == room.end()) {
      row = bins.size();
      bins.emplace_back();
      left = max_len;
    } else {
      row = it->second;
      left = it->first;
      room.erase(it);
    }
    bins[row].push_back(i);
    left -= lengths[i];
    if (left > 0) room.emplace(left, row);
  }
  for (auto& b : bins) std::sort(b.begin(), b.end());
  shuffle_bins(bins, seed);
  return bins;
}

Bins plan(Strategy s, std::span<const uint32_t> lengths, int64_t max_len, uint64_t seed) {
  return s == Strategy::nextfit ? plan_nextfit(lengths, max_len) : plan_bfd(lengths, max_len, seed);
}

double plan_efficiency(const Bins& bins, std::span<const uint32_t> lengths, int64_t max_len) {
  if (bins.empty()) return 0.0;
  double real = 0;
  for (const auto& b : bins)
    for (uint32_t i : b) real += lengths[i];
  return real / (static_cast<double>(bins.size()) * static_cast<double>(max_len));
}

void shuffle_bins(Bins& bins, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = bins.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(splitmix64(state) % i);
    std::swap(bins[i - 1], bins[j]);
  }
}

}  // namespace lw::data
