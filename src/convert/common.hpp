#pragma once
// Small helpers shared by the two directions of `convert`.
#include <filesystem>
#include <optional>
#include <string>

#include "engine/tensor.hpp"

namespace lw::convert {

// "keep" -> nullopt; "f32" / "f16" / "bf16" -> that dtype; anything else: InputError.
std::optional<engine::DType> parse_convert_dtype(const std::string& name);
// The directory name, or the file name without extension.
std::string model_name_of(const std::filesystem::path& p);

}  // namespace lw::convert
