#pragma once
// One training row (a pack, or a single sequence) in the form the model consumes, and the loss
// weighting modes that turn a global batch of rows into per-position loss weights.
#include <cstdint>
#include <string>
#include <vector>

#include "io/weighting.hpp"

namespace lw::train {

struct Row {
  std::vector<int32_t> tokens;      // (T) input ids
  std::vector<int32_t> cu_seqlens;  // (n_seq + 1) boundaries [0, end_1, ..., T]
  std::vector<int32_t> targets;     // (T) next-token target of position t, -1 = none
  std::vector<float> pack_weights;  // (T) weight of the target of position t (longalign), 0 = none
  int T() const { return (int)tokens.size(); }
  int n_seq() const { return (int)cu_seqlens.size() - 1; }
};

// Builds a row from pack-file arrays. labels[t] is the token at t when position t is labelled and
// -100 otherwise; weights[t] the weight of label t. The target of position t is labels[t + 1]
// (weight weights[t + 1]) when t + 1 is in the same sequence; the last position of every sequence
// predicts nothing (never across a boundary).
Row row_from_labels(const std::vector<int32_t>& tokens, const std::vector<int32_t>& cu_seqlens,
                    const std::vector<int32_t>& labels, const std::vector<float>& weights);

// Concatenates rows into one packed row (cu_seqlens shifted); used by tests and by DPO.
Row concat_rows(const std::vector<Row>& rows);
// Splits a packed row into one row per sequence.
std::vector<Row> split_row(const Row& row);

// The loss weightings (io/weighting.hpp), as the trainer applies them:
//   token:      sum over all labelled targets of the global batch / their count
//   sequence:   mean over sequences of each sequence's mean target loss
//   longalign:  sum of pack weights * loss, divided by K (weights sum to 1 per sequence)
//   longwriter: the token mean times (sequences in the global batch) / K: the LongWriter paper's loss
using io::Weighting;
using io::parse_weighting;
using io::weighting_name;

// Per-position loss weights (one vector per row, aligned with Row::targets) for one global batch
// (all micro-batches of one optimizer step): the step loss is sum_rows sum_t w[t] * nll[t], which
// is exact across gradient accumulation (token mode divides by the whole batch's target count).
// longalign: w = pack_weight / K, i.e. (sequences in batch / K) times the sequence-mean loss when
// every pack weight is 1/(labelled tokens of its sequence). longwriter: w = n_seq / (K * n_targets),
// n_seq counting the batch's sequences that have a target.
std::vector<std::vector<double>> loss_weights(const std::vector<const Row*>& batch, Weighting mode,
                                              double longalign_k = 30.0);

// Counts: targets and sequences with at least one target.
int64_t count_targets(const Row& row);
int64_t count_target_sequences(const Row& row);

}  // namespace lw::train
