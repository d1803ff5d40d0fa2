// GGUF model loading (llama architecture; f32, f16, bf16, Q8_0), on top of io/gguf.hpp.
#include "engine/model.hpp"
#include "util/error.hpp"

namespace lw::engine {

std::unique_ptr<Model> load_gguf_model(const std::filesystem::path& path, const LoadOptions&) {
  fail_input("{}: GGUF model loading is not available yet in this build", path.string());
}

}  // namespace lw::engine
