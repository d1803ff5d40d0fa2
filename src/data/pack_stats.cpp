#include "data/pack_stats.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace lw::data {

double PackStats::padding_fraction() const {
  return rows ? static_cast<double>(padding_tokens) / static_cast<double>(rows * max_len) : 0.0;
}

nlohmann::json PackStats::to_json() const {
  nlohmann::json j;
  j["max_len"] = max_len;
  j["chat_format"] = chat_format;
  j["strategy"] = strategy;
  j["weighting"] = weighting;
  j["tokenizer"] = tokenizer;
  j["conversations"] = conversations;
  j["rows"] = rows;
  j["sequences"] = sequences;
  j["real_tokens"] = real_tokens;
  j["padding_tokens"] = padding_tokens;
  j["padding_fraction"] = padding_fraction();
  j["labelled_tokens"] = labelled_tokens;
  j["truncated"] = truncated;
  j["min_sequence"] = min_seq;
  j["max_sequence"] = max_seq;
  j["skipped"] = nlohmann::json::object();
  for (const auto& [k, v] : skipped) j["skipped"][k] = v;
  j["seqs_per_row"] = nlohmann::json::object();
  for (const auto& [k, v] : seqs_per_row) j["seqs_per_row"][std::to_string(k)] = v;
  j["sequence_length_le"] = nlohmann::json::object();
  for (const auto& [k, v] : seq_len_buckets) j["sequence_length_le"][std::to_string(k)] = v;
  return j;
}

std::string PackStats::to_text() const {
  std::string s;
  s += fmt::format("format {}  strategy {}  weighting {}  max_len {}\n", chat_format, strategy, weighting, max_len);
  s += fmt::format("tokenizer    {}\n", tokenizer);
  s += fmt::format("rows         {}\n", rows);
  s += fmt::format("sequences    {} (of {} conversations; {} truncated)\n", sequences, conversations, truncated);
  s += fmt::format("real tokens  {} ({:.2f}% of the pack area)\n", real_tokens, 100.0 * (1.0 - padding_fraction()));
  s += fmt::format("padding      {} ({:.2f}%)\n", padding_tokens, 100.0 * padding_fraction());
  s += fmt::format("labelled     {}\n", labelled_tokens);
  if (sequences) s += fmt::format("sequence len min {}  max {}  mean {:.1f}\n", min_seq, max_seq,
                                  static_cast<double>(real_tokens) / static_cast<double>(sequences));
  int64_t n_skipped = 0;
  for (const auto& [k, v] : skipped) n_skipped += v;
  s += fmt::format("skipped      {}\n", n_skipped);
  for (const auto& [k, v] : skipped) s += fmt::format("  {:<28} {}\n", k, v);
  s += "sequences per row:\n";
  int64_t top = 0;
  for (const auto& [k, v] : seqs_per_row) top = std::max(top, v);
  for (const auto& [k, v] : seqs_per_row) {
    int bar = top ? static_cast<int>(40 * v / top) : 0;
    s += fmt::format("  {:>4} {:>8} {}\n", k, v, std::string(static_cast<size_t>(std::max(bar, 1)), '#'));
  }
  s += "sequence lengths:\n";
  for (const auto& [k, v] : seq_len_buckets) s += fmt::format("  <= {:>6} {:>8}\n", k, v);
  return s;
}

PackStats compute_pack_stats(const PackReader& reader) {
  const PackManifest& m = reader.manifest();
  PackStats st;
  st.max_len = m.max_len;
  st.conversations = m.conversations;
  st.truncated = m.truncated;
  st.skipped = m.skipped;
  st.chat_format = m.chat_format;
  st.strategy = m.strategy;
  st.weighting = m.weighting;
  st.tokenizer = m.tokenizer.fingerprint;
  st.min_seq = m.max_len;
  for (int64_t r = 0; r < reader.num_rows(); ++r) {
    PackRowView v = reader.row(r);
    st.rows += 1;
    st.sequences += v.n_seqs;
    st.seqs_per_row[v.n_seqs] += 1;
    st.real_tokens += v.real_tokens();
    for (uint8_t l : v.label_mask) st.labelled_tokens += l;
    for (uint32_t k = 0; k < v.n_seqs; ++k) {
      int64_t len = v.cu_seqlens[k + 1] - v.cu_seqlens[k];
      st.min_seq = std::min(st.min_seq, len);
      st.max_seq = std::max(st.max_seq, len);
      int64_t b = 1;
      while (b < len) b *= 2;
      st.seq_len_buckets[b] += 1;
    }
  }
  if (st.sequences == 0) st.min_seq = 0;
  st.padding_tokens = st.rows * st.max_len - st.real_tokens;
  if (st.rows != m.rows || st.sequences != m.sequences || st.real_tokens != m.real_tokens ||
      st.labelled_tokens != m.labelled_tokens)
    fail_input("pack manifest counts (rows {}, sequences {}, real tokens {}, labelled {}) disagree with its rows "
               "({}, {}, {}, {})",
               m.rows, m.sequences, m.real_tokens, m.labelled_tokens, st.rows, st.sequences, st.real_tokens,
               st.labelled_tokens);
  return st;
}

}  // namespace lw::data
