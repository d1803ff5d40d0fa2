#pragma once
// Which checkpoint a training run resumes from, and the proof that it may: the checkpoint's files
// against its manifest (size + SHA-256), state.json's fields present and typed, the options it was
// made with equal to the run's, and every state field inside what the run's settings allow (step
// within the schedule, data cursor and epoch where that step leaves them, RNG state, AdamW step).
// Any mismatch is an InputError naming the file and the field; with --resume-from-valid the run
// falls back to the newest checkpoint that verifies instead, saying so on stderr.
#include <cstdint>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "train/checkpoint.hpp"

namespace lw::train {

// What the run's settings fix about any checkpoint it may resume from.
struct RunShape {
  int64_t rows = 0;         // rows per epoch
  int64_t batch_rows = 1;   // rows per optimizer step
  int64_t total_steps = 0;  // the schedule's length
  uint64_t rng_state = 0;   // the trainer's RNG state at every step (it draws nothing from it)
};

// The data position after `step` optimizer steps: {epoch, cursor}.
std::pair<int64_t, int64_t> position_after(int64_t step, const RunShape& run);

// Every field of st against the run; InputError naming ckpt/state.json and the field.
void check_train_state(const TrainState& st, const std::filesystem::path& ckpt, const RunShape& run);

struct ResumePoint {
  std::filesystem::path ckpt;
  TrainState state;
};

// The checkpoint of out_dir to resume from (nullopt: none, start from scratch). Strict (the
// default): the one OUT/checkpoints/latest names, fully verified, or an InputError that names
// --resume-from-valid and --no-resume. from_valid: the newest that verifies, a warning per one
// skipped. A checkpoint made with other options is refused in both modes.
std::optional<ResumePoint> choose_resume(const std::filesystem::path& out_dir,
                                         const nlohmann::json& options_id, const RunShape& run,
                                         bool from_valid);

}  // namespace lw::train
