#include "engine/save.hpp"

#include <vector>

#include "io/file.hpp"
#include "io/safetensors.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace fs = std::filesystem;

void save_hf_model(const ModelConfig& cfg, const ModelWeights& w, const fs::path& dir,
                   std::optional<DType> dtype) {
  if (dtype && quant::traits(*dtype).quantized)
    fail_input("safetensors cannot hold {} weights (f32, f16 or bf16)", dtype_name(*dtype));
  if (cfg.arch == Arch::llama && cfg.rope_interleaved)
    fail_input("this llama model keeps GGUF's q/k row order; load it with LoadOptions::hf_row_order to save it");
  fs::create_directories(dir);
  io::SafetensorsWriter out;
  std::vector<std::vector<char>> keep;  // converted copies live until write()
  for (const auto& spec : param_specs(cfg)) {
    Tensor t = weight_of(cfg, w, spec);
    // quantized weights are dequantized (to f32 unless a dtype is given)
    DType want = dtype ? *dtype : (quant::traits(t.dtype).quantized ? DType::f32 : t.dtype);
    io::StDType st = want == DType::f32 ? io::StDType::F32
                     : want == DType::f16 ? io::StDType::F16
                                          : io::StDType::BF16;
    if (want == t.dtype) {
      out.add_ref(spec.name, st, spec.shape, t.data, t.nbytes());
      continue;
    }
    std::vector<float> f(static_cast<size_t>(t.numel()));
    to_f32(t.dtype, t.data, f.data(), t.numel());
    keep.emplace_back(dtype_bytes(want, t.numel()));
    from_f32(want, f.data(), keep.back().data(), t.numel());
    out.add_ref(spec.name, st, spec.shape, keep.back().data(), keep.back().size());
  }
  out.set_metadata("format", "pt");
  out.write(dir / "model.safetensors");
  io::write_file_atomic(dir / "config.json", config_to_hf_json(cfg).dump(2) + "\n");
}

}  // namespace lw::engine
