// Row sources (see source.hpp).
#include "train/source.hpp"

#include "io/pack_format.hpp"
#include "util/error.hpp"

namespace lw::train {

PackSource::PackSource(const std::filesystem::path& dir)
    : reader_(std::make_unique<io::PackReader>(dir)) {}
PackSource::~PackSource() = default;

int64_t PackSource::size() const { return reader_->num_rows(); }

int32_t PackSource::vocab_size() const { return reader_->manifest().tokenizer.vocab_size; }

Row PackSource::row(int64_t i) const {
  io::PackRowView v = reader_->row(i);
  const int n_seq = (int)v.n_seqs;
  const int T = (int)v.real_tokens();
  std::vector<int32_t> tokens(T), labels(T), cu(n_seq + 1);
  std::vector<float> weights(T);
  for (int t = 0; t < T; t++) {
    tokens[t] = (int32_t)v.tokens[t];
    labels[t] = v.label_mask[t] ? (int32_t)v.tokens[t] : -100;
    weights[t] = v.weights[t];
  }
  for (int s = 0; s <= n_seq; s++) cu[s] = (int32_t)v.cu_seqlens[s];
  if (T == 0) fail_input("pack row {} has no sequences", i);
  return row_from_labels(tokens, cu, labels, weights);
}

}  // namespace lw::train
