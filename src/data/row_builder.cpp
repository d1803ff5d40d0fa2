#include "data/row_builder.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace lw::data {

Weighting parse_pack_weighting(std::string_view name) {
  const Weighting w = io::parse_weighting(name, "--weighting");
  if (w == Weighting::longwriter)
    fail_input("--weighting: longwriter is a training loss (train --weighting longwriter), not pack weights "
               "(expected longalign, token or sequence)");
  return w;
}

void build_row(std::span<const SeqView> seqs, int64_t max_len, uint32_t pad_id, Weighting weighting, PackRow& row) {
  const auto L = static_cast<size_t>(max_len);
  row.tokens.assign(L, pad_id);
  row.label_mask.assign(L, 0);
  row.weights.assign(L, 0.0f);
  row.cu_seqlens.assign(1, 0);
  row.n_seqs = static_cast<uint32_t>(seqs.size());
  size_t pos = 0;
  for (const SeqView& s : seqs) {
    LW_CHECK(s.ids.size() == s.labels.size() && !s.ids.empty(), "bad sequence");
    LW_CHECK(pos + s.ids.size() <= L, "sequences overflow the row ({} > {})", pos + s.ids.size(), L);
    std::copy(s.ids.begin(), s.ids.end(), row.tokens.begin() + pos);
    std::copy(s.labels.begin(), s.labels.end(), row.label_mask.begin() + pos);
    int64_t n_lab = 0;
    for (uint8_t l : s.labels) n_lab += l;
    LW_CHECK(n_lab > 0, "sequence without a labelled token");
    double w = weighting == Weighting::token       ? 1.0
               : weighting == Weighting::longalign ? 1.0 / static_cast<double>(n_lab)
                                                   : 1.0 / (static_cast<double>(n_lab) * static_cast<double>(seqs.size()));
    for (size_t k = 0; k < s.ids.size(); ++k)
      if (s.labels[k]) row.weights[pos + k] = static_cast<float>(w);
    pos += s.ids.size();
    row.cu_seqlens.push_back(static_cast<uint32_t>(pos));
  }
  if (pos < L) row.cu_seqlens.push_back(static_cast<uint32_t>(L));
}

}  // namespace lw::data
