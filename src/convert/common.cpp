#include "convert/common.hpp"

#include "util/error.hpp"

namespace lw::convert {

std::optional<engine::DType> parse_convert_dtype(const std::string& name) {
  if (name == "keep" || name.empty()) return std::nullopt;
  if (name == "f32") return engine::DType::f32;
  if (name == "f16") return engine::DType::f16;
  if (name == "bf16") return engine::DType::bf16;
  fail_input("--dtype {}: safetensors output holds keep, f32, f16 or bf16", name);
}

std::string model_name_of(const std::filesystem::path& path) {
  std::filesystem::path p = path;
  if (p.filename().empty()) p = p.parent_path();
  return std::filesystem::is_directory(p) ? p.filename().string() : p.stem().string();
}

}  // namespace lw::convert
