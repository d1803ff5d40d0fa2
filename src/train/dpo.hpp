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

// Reads pairs.jsonl, one pair a line, in any of these forms (InputError names file:line):
//   {"prompt","chosen","rejected"} strings: a user turn and an assistant turn in the chat format;
//   {"prefix": [{"role","content"},...], "chosen", "rejected"} (`agentwrite pairs`): the prefix
//     messages as the prompt, then the chosen or rejected text as the assistant turn;
//   {"prompt": [messages], "chosen": [messages], "rejected": [messages]} (TRL's conversational form);
//   {"prompt_ids","chosen_ids","rejected_ids"} integer arrays.
// Only the final assistant turn is labelled. The text forms need tok and fmt.
std::vector<DpoPair> load_dpo_pairs(const std::filesystem::path& path, const tok::Tokenizer* tok,
                                    const tok::ChatFormat* fmt);

// The packed row of one pair: segment 0 chosen, segment 1 rejected.
Row dpo_row(const DpoPair& p);

// Several pairs in one row: pair k of `pairs` is segments 2k (chosen) and 2k + 1 (rejected). Each
// segment attends only to itself, so its log-probabilities are those of the pair alone.
struct DpoPack {
  Row row;
  std::vector<size_t> pairs;  // indices into the caller's pair list, in segment order
};
// Packs the pairs `which` (in order, next-fit) into rows of at most max_tokens tokens; a pair longer
// than that gets a row of its own. max_tokens <= 0: one pair per row.
std::vector<DpoPack> pack_dpo_pairs(const std::vector<DpoPair>& pairs, const std::vector<size_t>& which,
                                    int max_tokens);
// Summed response log-probabilities (chosen, rejected) of every pair of a pack, in pack order.
std::vector<std::pair<double, double>> pack_logps(TrainModel<float>& m, const DpoPack& pack);

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
  int pack_tokens = 0;  // > 0: the pairs of a step are packed into rows of at most this many tokens
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
// The same over packed rows: ref[i] belongs to pair i of `pairs` (the packs' indices), and the loss
// is the mean over every pair of the packs. Equal to dpo_accumulate on the same pairs unpacked.
DpoStep dpo_accumulate_packed(TrainModel<float>& m, const std::vector<DpoPack>& packs,
                              const std::vector<std::pair<double, double>>& ref, double beta);

// Trains policy with DPO; writes OUT/metrics.jsonl and the final model directory.
std::vector<DpoStep> dpo_train(TrainModel<float>& policy, const std::vector<DpoPair>& pairs,
                               const std::vector<std::pair<double, double>>& ref_logps,
                               const DpoOptions& o);

}  // namespace lw::train
