#pragma once
// Evaluation of a model on packed data: target NLL and perplexity overall and by position bucket,
// to see whether long outputs are learned as well as short ones.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/model.hpp"
#include "train/source.hpp"

namespace lw::train {

enum class BucketBy {
  output,    // offset of the target inside its labelled span (0 = first token of the answer)
  sequence,  // position of the target inside its sequence
};

struct BucketStat {
  int64_t lo = 0, hi = 0;  // [lo, hi) positions; hi = -1 for the open last bucket
  int64_t targets = 0;
  double nll_sum = 0;
  double loss() const { return targets ? nll_sum / (double)targets : 0.0; }
};

struct EvalResult {
  int64_t rows = 0, sequences = 0, targets = 0;
  double nll_sum = 0;
  std::vector<BucketStat> buckets;
  double loss() const { return targets ? nll_sum / (double)targets : 0.0; }
  nlohmann::json to_json() const;
  std::string table() const;  // human-readable
};

// Bucket edges: [0, e1), [e1, e2), ..., [e_last, inf). Default: 0,256,512,1k,2k,4k,8k,16k,32k.
std::vector<int64_t> default_bucket_edges();

// Runs the model (forward only) over rows [0, max_rows) of src (max_rows <= 0: all).
EvalResult eval_loss(TrainModel<float>& m, const RowSource& src, BucketBy by,
                     const std::vector<int64_t>& edges, int64_t max_rows = 0);

// Adds one row's per-position NLL (targets >= 0 only) into r (exposed for tests).
void accumulate_row(EvalResult& r, const Row& row, const std::vector<float>& nll, BucketBy by,
                    const std::vector<int64_t>& edges);

}  // namespace lw::train
