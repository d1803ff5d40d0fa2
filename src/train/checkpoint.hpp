#pragma once
// Model I/O for training: initial weights from a model directory (any dtype the engine reads, as
// f32 master weights), the final HF-style model directory, and resumable checkpoints.
//
// A checkpoint is a directory OUT/checkpoints/step-NNNNNNNN/ holding
//   model.safetensors      f32 master weights (canonical names)
//   optimizer.safetensors  AdamW moments "adam.m" and "adam.v" (flat, parameter order)
//   state.json             step, data cursor, RNG state, the options that must match on resume
//   manifest.json          size and SHA-256 of the three files above, written last (io/dir_manifest)
// It is staged beside its final name and swapped into place (io::AtomicDir), and
// OUT/checkpoints/latest (a one-line file naming the directory) is replaced atomically afterwards,
// so a kill or a full disk at any moment leaves either the previous or the new checkpoint. Resume
// verifies the manifest and every state field (train/resume.hpp) before it loads anything.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/model.hpp"
#include "train/optim.hpp"

namespace lw::train {

// Copies the weights of the model at `path` (HF dir or .gguf) into m (converted to f32). The
// model's config must equal m's (dimensions).
void load_weights(TrainModel<float>& m, const std::filesystem::path& path);

// Writes an HF-style model directory: config.json + model.safetensors (f32) and, when
// tokenizer_from is a directory, its tokenizer files (tokenizer.json, tokenizer_config.json,
// tokenizer.model, special_tokens_map.json, generation_config.json, vocab/merges files).
void save_model_dir(TrainModel<float>& m, const std::filesystem::path& dir,
                    const std::optional<std::filesystem::path>& tokenizer_from);

struct TrainState {
  int64_t step = 0;          // optimizer steps done
  int64_t cursor = 0;        // rows consumed in the current epoch order
  int64_t epoch = 0;
  uint64_t rng_state = 0;
  int64_t tokens_seen = 0;
  int64_t adam_step = 0;     // AdamW's step count (bias correction); equals step
  nlohmann::json options;    // options that must match to resume (data, dims, batch, weighting)
};

std::filesystem::path save_checkpoint(const std::filesystem::path& out_dir, TrainModel<float>& m,
                                      const AdamWState& opt, const TrainState& st);
inline const std::vector<std::string> kCheckpointFiles = {"model.safetensors", "optimizer.safetensors",
                                                          "state.json"};

// The checkpoint OUT/checkpoints/latest names, if there is that file (InputError when it names
// no checkpoint directory).
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& out_dir);
// Every checkpoint directory of out_dir (step-*, no temporaries), oldest first.
std::vector<std::filesystem::path> list_checkpoints(const std::filesystem::path& out_dir);
// Each file against the checkpoint's manifest.json (InputError naming the file and field).
void verify_checkpoint_files(const std::filesystem::path& ckpt);
// state.json's fields, each present and of its type (ranges: train/resume.hpp).
TrainState read_checkpoint_state(const std::filesystem::path& ckpt);
// The weights and AdamW moments of a checkpoint whose state was read and checked.
void load_checkpoint_tensors(const std::filesystem::path& ckpt, TrainModel<float>& m, AdamWState& opt,
                             const TrainState& st);
// All three: verify, read the state, load (without the run's range checks).
TrainState load_checkpoint(const std::filesystem::path& ckpt, TrainModel<float>& m, AdamWState& opt);
// Keeps only the newest `keep` checkpoints (keep <= 0: keep all).
void prune_checkpoints(const std::filesystem::path& out_dir, int keep);

}  // namespace lw::train

namespace lw::train {

// What `--model INIT` names: a model directory (weights loaded), a directory with only
// config.json, or a config.json file (random initialisation).
struct InitSpec {
  engine::ModelConfig cfg;
  bool has_weights = false;
  std::filesystem::path path;                          // what to load weights from
  std::optional<std::filesystem::path> tokenizer_dir;  // where tokenizer files may be found
};
InitSpec resolve_init(const std::filesystem::path& init);

}  // namespace lw::train
