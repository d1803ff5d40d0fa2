#pragma once
// Pack rows and manifests for tests of the pack format's writer and readers (tests/io, tests/train).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "io/pack_format.hpp"

namespace lw::testing {

// A row of L tokens holding sequences of the given lengths, then padding (id 0). Token t of the row
// is `base + t`; the last `labelled(n)` tokens of a sequence of n are labelled, each with weight
// 1 / labelled(n).
template <typename Labelled>
io::PackRow pack_row(int64_t L, const std::vector<int>& lens, uint32_t base, Labelled labelled) {
  io::PackRow r;
  r.tokens.assign(L, 0);
  r.label_mask.assign(L, 0);
  r.weights.assign(L, 0.0f);
  r.cu_seqlens = {0};
  uint32_t pos = 0;
  for (int n : lens) {
    for (int k = 0; k < n; ++k) r.tokens[pos + k] = base + pos + k;
    const int m = std::clamp(static_cast<int>(labelled(n)), 0, n);
    for (int k = n - m; k < n; ++k) {
      r.label_mask[pos + k] = 1;
      r.weights[pos + k] = 1.0f / static_cast<float>(m);
    }
    pos += n;
    r.cu_seqlens.push_back(pos);
  }
  if (pos < L) r.cu_seqlens.push_back(static_cast<uint32_t>(L));
  r.n_seqs = static_cast<uint32_t>(lens.size());
  return r;
}

// A manifest for rows of L tokens: chatml, longalign weighting, one source file.
inline io::PackManifest pack_manifest(int64_t L, std::string strategy, io::PackTokenizerInfo tokenizer) {
  io::PackManifest m;
  m.max_len = L;
  m.chat_format = "chatml";
  m.strategy = std::move(strategy);
  m.weighting = "longalign";
  m.overflow = "skip";
  m.tokenizer = std::move(tokenizer);
  m.sources = {{"a.jsonl", 10, std::string(64, '0')}};
  return m;
}

}  // namespace lw::testing
