#pragma once
// Direct Preference Optimisation (sigmoid loss): for a pair with chosen y+ and rejected y-,
//   z = beta * ((log pi(y+) - log ref(y+)) - (log pi(y-) - log ref(y-))),  loss = -log sigmoid(z)
// summed log-probabilities over the response tokens. The chosen and rejected sequences of a pair are
// packed into one row (two cu_seqlens segments). Reference log-probabilities are computed once
// and cached in OUT/ref_logps.json (keyed by a fingerprint of the pairs and the reference model).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/model.hpp"
#include "train/optim.hpp"

namespace lw::tok {
class Tokenizer;
class ChatFormat;
}  // namespace lw::tok

namespace lw::train {

struct DpoPair {
  std::vector<int32_t> chosen, rejected;            // full sequences (prompt + response + end)
  std::vector<uint8_t> chosen_mask, rejected_mask;  // 1 on response tokens
};

// Reads pairs.jsonl: either {"prompt","chosen","rejected"} strings (rendered with the chat format
// as a user turn and an assistant turn; tok and fmt required) or {"prompt_ids","chosen_ids",
// "rejected_ids"} integer arrays (responses labelled, prompt not). InputError names file:line.
std::vector<DpoPair> load_dpo_pairs(const std::filesystem::path& path, const tok::Tokenizer* tok,
                                    const tok::ChatFormat* fmt);

// The packed row of one pair: segment 0 chosen, segment 1 rejected.
Row dpo_row(const DpoPair& p);

// Summed log-probability of the response of each segment (chosen, rejected) under m.
std::pair<double, double> pair_logps(TrainModel<float>& m, const Row& row);

// Reference log-probabilities of every pair, from the cache file when its fingerprint matches,
// otherwise computed with ref and written to the cache.
std::vector<std::pair<double, double>> reference_logps(TrainModel<float>& ref,
                                                       const std::vector<DpoPair>& pairs,
                                                       const std::filesystem::path& cache,
                                                       const std::string& ref_id);

struct DpoOptions {
  std::filesystem::path out;
  int epochs = 1;
  int batch_pairs = 4;  // pairs per optimizer step
  double beta = 0.1;
  AdamWConfig adamw;    // lr = peak
  Schedule schedule = Schedule::cosine;
  double warmup_ratio = 0.1;
  double clip = 1.0;
  uint64_t seed = 42;
  bool shuffle = true;
  bool recompute = false;
  int log_every = 1;
  std::optional<std::filesystem::path> tokenizer_from;
};

struct DpoStep {
  int64_t step = 0;
  double loss = 0, accuracy = 0, margin = 0, chosen_reward = 0, rejected_reward = 0, lr = 0;
};

// One optimizer step's loss and gradient for a batch (exposed for tests): accumulates grads into
// m and returns the mean loss; per-pair rewards in the returned step.
DpoStep dpo_accumulate(TrainModel<float>& m, const std::vector<const DpoPair*>& batch,
                       const std::vector<std::pair<double, double>>& ref, double beta);

// Trains policy with DPO; writes OUT/metrics.jsonl and the final model directory.
std::vector<DpoStep> dpo_train(TrainModel<float>& policy, const std::vector<DpoPair>& pairs,
                               const std::vector<std::pair<double, double>>& ref_logps,
                               const DpoOptions& o);

}  // namespace lw::train
