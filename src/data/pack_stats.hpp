#pragma once
// `longwriter pack stats DIR`: what is in a pack, computed by scanning every row (the manifest's
// counts are cross-checked against the rows).
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "data/pack_names.hpp"

namespace lw::data {

struct PackStats {
  int64_t max_len = 0;
  int64_t rows = 0, sequences = 0, conversations = 0, truncated = 0;
  int64_t real_tokens = 0, padding_tokens = 0, labelled_tokens = 0;
  int64_t min_seq = 0, max_seq = 0;
  std::map<int64_t, int64_t> seqs_per_row;      // sequences in a row -> rows
  std::map<int64_t, int64_t> seq_len_buckets;   // upper bound (power of two) -> sequences
  std::map<std::string, int64_t> skipped;       // from the manifest
  std::string chat_format, strategy, weighting, tokenizer;

  double padding_fraction() const;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// InputError when the rows disagree with the manifest counts.
PackStats compute_pack_stats(const PackReader& reader);

}  // namespace lw::data
