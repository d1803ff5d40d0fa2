#pragma once
// What Ollama's /api/tags and /api/show report about the model `serve` loaded: format, family,
// parameter count and size ("8.0B"), weight dtype, chat format, context length, bytes and an
// identity digest.
#include <cstdint>
#include <filesystem>
#include <string>

#include "serve/local_backend.hpp"
#include "serve/ollama_api.hpp"

namespace lw::serve {

// "8.0B", "1.2M", "350K", "900": Ollama's parameter_size.
std::string parameter_size_text(int64_t n);

// `path` is what --model named (an HF directory or a .gguf file).
ModelCard model_card(const LocalBackend& backend, const std::filesystem::path& path);

}  // namespace lw::serve
