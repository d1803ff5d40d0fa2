#include "train/resume.hpp"

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;

namespace lw::train {

namespace {

constexpr const char* kHint =
    "rerun with --resume-from-valid to resume from the newest checkpoint that verifies, or --no-resume "
    "to start over";

// Not damage but another run's checkpoint: refused in both modes.
struct OptionsMismatch : InputError {
  using InputError::InputError;
};

void check_options(const TrainState& st, const fs::path& ckpt, const nlohmann::json& id) {
  if (st.options != id)
    throw OptionsMismatch(
        fmt::format("{}: the checkpoint was made with different options ({}), not ({}); use a new --out or "
                    "--no-resume",
                    ckpt.string(), st.options.dump(), id.dump()));
}

// Files, state fields and ranges (not the options): what --resume-from-valid may skip past.
TrainState verified_state(const fs::path& ckpt, const nlohmann::json& id, const RunShape& run) {
  verify_checkpoint_files(ckpt);
  TrainState st = read_checkpoint_state(ckpt);
  check_options(st, ckpt, id);
  check_train_state(st, ckpt, run);
  return st;
}

}  // namespace

std::pair<int64_t, int64_t> position_after(int64_t step, const RunShape& run) {
  const int64_t per_epoch = (run.rows + run.batch_rows - 1) / run.batch_rows;
  const int64_t epoch = (step - 1) / per_epoch;
  const int64_t in_epoch = (step - 1) % per_epoch + 1;
  return {epoch, std::min(run.rows, in_epoch * run.batch_rows)};
}

void check_train_state(const TrainState& st, const fs::path& ckpt, const RunShape& run) {
  const std::string file = (ckpt / "state.json").string();
  if (st.step < 1 || st.step > run.total_steps)
    fail_input(
        "{}: field \"step\" is {}; expected 1 to {} (the run's total steps: the position in the "
        "learning-rate schedule)",
        file, st.step, run.total_steps);
  const std::string name = fmt::format("step-{:08d}", st.step);
  if (ckpt.filename() != name)
    fail_input("{}: field \"step\" is {}, but the checkpoint directory is {} (expected {})", file, st.step,
               ckpt.filename().string(), name);
  const auto [epoch, cursor] = position_after(st.step, run);
  if (st.cursor != cursor)
    fail_input("{}: field \"cursor\" is {}; expected {} (after step {} of {} rows per epoch, {} per step)",
               file, st.cursor, cursor, st.step, run.rows, run.batch_rows);
  if (st.epoch != epoch)
    fail_input("{}: field \"epoch\" is {}; expected {} (after step {})", file, st.epoch, epoch, st.step);
  if (st.rng_state != run.rng_state)
    fail_input("{}: field \"rng_state\" is {}; expected {} (the run's seed)", file, st.rng_state,
               run.rng_state);
  if (st.adam_step != st.step)
    fail_input("{}: field \"adam_step\" is {}; expected {} (one AdamW update per step)", file, st.adam_step,
               st.step);
  if (st.tokens_seen < st.step)
    fail_input("{}: field \"tokens_seen\" is {}; expected at least {} (one token per step)", file,
               st.tokens_seen, st.step);
}

std::optional<ResumePoint> choose_resume(const fs::path& out_dir, const nlohmann::json& options_id,
                                         const RunShape& run, bool from_valid) {
  if (!from_valid) {
    try {
      const auto ck = latest_checkpoint(out_dir);
      if (!ck) return std::nullopt;
      return ResumePoint{*ck, verified_state(*ck, options_id, run)};
    } catch (const OptionsMismatch&) {
      throw;
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}; {}", e.what(), kHint));
    }
  }
  const auto all = list_checkpoints(out_dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      TrainState st = verified_state(*it, options_id, run);
      if (it != all.rbegin())
        log::warn("--resume-from-valid: resuming from {}, the newest checkpoint that verifies", it->string());
      return ResumePoint{*it, st};
    } catch (const OptionsMismatch&) {
      throw;
    } catch (const InputError& e) {
      log::warn("--resume-from-valid: skipping {}: {}", it->string(), e.what());
    }
  }
  if (!all.empty())
    log::warn("--resume-from-valid: no checkpoint of {} verifies; starting from step 0", out_dir.string());
  return std::nullopt;
}

}  // namespace lw::train
