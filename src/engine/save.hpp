#pragma once
// Writing a model as an HF-style directory: config.json + model.safetensors (canonical names of
// engine/params.hpp), loadable by load_model and by HF transformers.
#include <filesystem>
#include <optional>

#include "engine/config.hpp"
#include "engine/params.hpp"

namespace lw::engine {

// Writes DIR/config.json and DIR/model.safetensors (atomically). `dtype`: the file dtype of the
// matrices (f32, f16 or bf16; nullopt keeps each tensor's dtype; quantized ones become f32). Norms
// and biases are written as f32 unless dtype says otherwise.
void save_hf_model(const ModelConfig& cfg, const ModelWeights& w, const std::filesystem::path& dir,
                   std::optional<DType> dtype = std::nullopt);

}  // namespace lw::engine
