#pragma once
// The SFT training loop: global batches of `batch_rows` packs (gradient accumulation), exact loss
// weighting across the batch, global-norm clipping, AdamW, warmup + decay, metrics.jsonl, periodic
// atomic checkpoints, and exact resume (same data order, RNG and optimizer state, so the loss
// curve after a resume equals the uninterrupted one).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "train/batch.hpp"
#include "train/model.hpp"
#include "train/optim.hpp"
#include "train/source.hpp"

namespace lw::train {

struct TrainOptions {
  std::filesystem::path out;            // output directory (metrics, checkpoints, final model)
  int epochs = 4;
  int64_t max_steps = 0;                // > 0: stop after this many optimizer steps in total
  int batch_rows = 8;                   // packs per optimizer step (gradient accumulation)
  Weighting weighting = Weighting::token;
  double longalign_k = 30.0;
  AdamWConfig adamw;                    // lr is the peak learning rate
  Schedule schedule = Schedule::cosine;
  double warmup_ratio = 0.03;
  int64_t warmup_steps = -1;            // >= 0 overrides warmup_ratio
  double min_lr = 0.0;
  double clip = 1.0;                    // global gradient norm (<= 0: off)
  bool shuffle = true;
  uint64_t seed = 42;
  bool recompute = false;               // activation recomputation (long packs)
  int64_t save_every = 0;               // steps between checkpoints (0: only at the end)
  int keep_checkpoints = 2;
  bool resume = true;                   // continue from OUT/checkpoints/latest when present
  bool resume_from_valid = false;       // a damaged latest checkpoint: fall back to the newest valid one
  int64_t stop_after = 0;               // > 0: stop this run after this many steps (no save)
  int log_every = 1;
  std::optional<std::filesystem::path> tokenizer_from;  // copied into the final model dir
  bool save_final = true;
};

struct StepMetrics {
  int64_t step = 0;       // 1-based optimizer step
  int64_t epoch = 0;
  double loss = 0;        // the weighted objective of the step
  double token_loss = 0;  // mean target NLL of the step (for comparisons across weightings)
  double lr = 0;
  double grad_norm = 0;
  int64_t tokens = 0;     // real tokens processed in the step
  int64_t targets = 0;
  double seconds = 0;
  double tokens_per_s = 0;
};

struct TrainResult {
  std::vector<StepMetrics> history;  // steps run by this call
  int64_t total_steps = 0;
  int64_t final_step = 0;
  bool finished = false;             // reached total_steps (final model written)
  std::optional<int64_t> resumed_from;
};

// Steps of the whole run for a source of n rows.
int64_t total_steps_for(int64_t n_rows, const TrainOptions& o);

// Trains m (already initialised) on src. `options_id` (e.g. data path and dims) is stored in
// checkpoints and must match on resume. on_step is called after every step (may be empty).
TrainResult train(TrainModel<float>& m, const RowSource& src, const TrainOptions& o,
                  const nlohmann::json& options_id = {},
                  const std::function<void(const StepMetrics&)>& on_step = {});

}  // namespace lw::train
