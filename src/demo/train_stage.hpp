#pragma once
// Trains one of the demo's tiny Llama models on a pack directory with the project's trainer
// (token weighting) and writes an HF-style model directory that the engine loads.
#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "demo/scale.hpp"

namespace lw::demo {

struct TrainStageArgs {
  std::filesystem::path packs, tokenizer_dir, out;
  int32_t vocab_size = 0;
  int32_t bos_id = -1, eos_id = -1;
  uint64_t seed = 1;
  int threads = 0;
  int epochs = 1;
};

// Returns a summary (steps, tokens, final loss, seconds).
nlohmann::json train_model(const DemoScale& scale, const TrainStageArgs& args);

}  // namespace lw::demo
