// Rows and loss weighting (see batch.hpp).
#include "train/batch.hpp"

#include "util/error.hpp"

namespace lw::train {

Row row_from_labels(const std::vector<int32_t>& tokens, const std::vector<int32_t>& cu,
                    const std::vector<int32_t>& labels, const std::vector<float>& weights) {
  const int T = (int)tokens.size();
  if ((int)labels.size() != T) fail_input("row: {} labels for {} tokens", labels.size(), T);
  if (!weights.empty() && (int)weights.size() != T)
    fail_input("row: {} weights for {} tokens", weights.size(), T);
  if (cu.size() < 2 || cu.front() != 0 || cu.back() != T)
    fail_input("row: cu_seqlens must run from 0 to {}", T);
  Row r;
  r.tokens = tokens;
  r.cu_seqlens = cu;
  r.targets.assign(T, -1);
  r.pack_weights.assign(T, 0.0f);
  for (size_t s = 0; s + 1 < cu.size(); s++) {
    if (cu[s + 1] <= cu[s]) fail_input("row: cu_seqlens not increasing at index {}", s + 1);
    for (int t = cu[s]; t + 1 < cu[s + 1]; t++) {
      int32_t y = labels[t + 1];
      if (y == -100) continue;
      if (y < 0) fail_input("row: label {} at position {} (expected a token id or -100)", y, t + 1);
      r.targets[t] = y;
      r.pack_weights[t] = weights.empty() ? 0.0f : weights[t + 1];
    }
  }
  return r;
}

Row concat_rows(const std::vector<Row>& rows) {
  Row out;
  out.cu_seqlens.push_back(0);
  for (const auto& r : rows) {
    int base = out.T();
    out.tokens.insert(out.tokens.end(), r.tokens.begin(), r.tokens.end());
    out.targets.insert(out.targets.end(), r.targets.begin(), r.targets.end());
    out.pack_weights.insert(out.pack_weights.end(), r.pack_weights.begin(), r.pack_weights.end());
    for (size_t s = 1; s < r.cu_seqlens.size(); s++) out.cu_seqlens.push_back(base + r.cu_seqlens[s]);
  }
  return out;
}

std::vector<Row> split_row(const Row& row) {
  std::vector<Row> out;
  for (int s = 0; s < row.n_seq(); s++) {
    int a = row.cu_seqlens[s], b = row.cu_seqlens[s + 1];
    Row r;
    r.tokens.assign(row.tokens.begin() + a, row.tokens.begin() + b);
    r.targets.assign(row.targets.begin() + a, row.targets.begin() + b);
    r.pack_weights.assign(row.pack_weights.begin() + a, row.pack_weights.begin() + b);
    r.cu_seqlens = {0, b - a};
    out.push_back(std::move(r));
  }
  return out;
}

int64_t count_targets(const Row& row) {
  int64_t n = 0;
  for (int32_t y : row.targets) n += y >= 0;
  return n;
}

int64_t count_target_sequences(const Row& row) {
  int64_t n = 0;
  for (int s = 0; s < row.n_seq(); s++) {
    bool any = false;
    for (int t = row.cu_seqlens[s]; t < row.cu_seqlens[s + 1] && !any; t++) any = row.targets[t] >= 0;
    n += any;
  }
  return n;
}

std::vector<std::vector<double>> loss_weights(const std::vector<const Row*>& batch, Weighting mode,
                                              double longalign_k) {
  std::vector<std::vector<double>> w(batch.size());
  int64_t n_targets = 0, n_seqs = 0;
  for (const Row* r : batch) {
    n_targets += count_targets(*r);
    n_seqs += count_target_sequences(*r);
  }
  if ((mode == Weighting::longalign || mode == Weighting::longwriter) && !(longalign_k > 0))
    fail_input("--longalign-k must be positive (got {})", longalign_k);
  for (size_t i = 0; i < batch.size(); i++) {
    const Row& r = *batch[i];
    w[i].assign(r.T(), 0.0);
    for (int s = 0; s < r.n_seq(); s++) {
      int a = r.cu_seqlens[s], b = r.cu_seqlens[s + 1];
      int64_t n_s = 0;
      for (int t = a; t < b; t++) n_s += r.targets[t] >= 0;
      for (int t = a; t < b; t++) {
        if (r.targets[t] < 0) continue;
        switch (mode) {
          case Weighting::token: w[i][t] = 1.0 / (double)n_targets; break;
          case Weighting::sequence: w[i][t] = 1.0 / ((double)n_seqs * (double)n_s); break;
          case Weighting::longalign: w[i][t] = r.pack_weights[t] / longalign_k; break;
          case Weighting::longwriter: w[i][t] = (double)n_seqs / (longalign_k * (double)n_targets); break;
        }
      }
    }
  }
  return w;
}

}  // namespace lw::train
