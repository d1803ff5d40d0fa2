// GGUF (llama architecture) -> HF safetensors directory, through the engine's GGUF loader (which
// undoes llama.cpp's q/k row permutation) and its HF writer.
#include <cmath>

#include "convert/common.hpp"
#include "convert/convert.hpp"
#include "convert/gguf_tokenizer.hpp"
#include "engine/config.hpp"
#include "engine/gguf_model.hpp"
#include "engine/model.hpp"
#include "engine/save.hpp"
#include "io/atomic_dir.hpp"
#include "io/gguf.hpp"
#include "util/error.hpp"

namespace lw::convert {

namespace fs = std::filesystem;

namespace {

// llama.cpp stores Llama 3.1 rope scaling as per-frequency divisors (rope_freqs.weight). HF wants
// the parameters: find the llama3 scaling that reproduces the divisors (factor = the largest one;
// the band edges of the published Llama 3.x configs), else refuse.
void rope_factors_to_scaling(engine::ModelConfig& c, const std::string& where) {
  if (c.rope_freq_factors.empty()) return;
  const std::vector<float> want = c.rope_freq_factors;
  float factor = 1.0f;
  for (float f : want) factor = std::max(factor, f);
  c.rope_freq_factors.clear();
  if (factor == 1.0f) return;  // all ones: no scaling
  for (int orig : {8192, 4096, 2048, 16384}) {
    engine::ModelConfig plain = c, scaled = c;
    plain.rope_scaling = {};
    scaled.rope_scaling = {"llama3", factor, 1.0f, 4.0f, orig};
    auto base = engine::rope_inv_freq(plain), s = engine::rope_inv_freq(scaled);
    bool same = true;
    for (size_t i = 0; i < base.size() && same; ++i)
      same = std::fabs(base[i] / s[i] - want[i]) <= 1e-3f * want[i];
    if (same) {
      c.rope_scaling = scaled.rope_scaling;
      return;
    }
  }
  fail_input("{}: rope_freqs.weight does not match a Llama 3 rope_scaling (factor {}); cannot write config.json",
             where, factor);
}

// What a conversion writes into OUT (and so may replace there).
bool model_file_name(const std::string& n) {
  return n == "config.json" || n == "generation_config.json" || n == "special_tokens_map.json" ||
         n.rfind("model", 0) == 0 || n.rfind("tokenizer", 0) == 0;
}

}  // namespace

ConvertReport convert_gguf_to_hf(const fs::path& in, const fs::path& out, const ConvertOptions& opts) {
  if (!fs::is_regular_file(in)) fail_input("{}: expected a .gguf file", in.string());
  if (fs::exists(out) && !fs::is_directory(out)) fail_input("{}: exists and is not a directory", out.string());
  io::check_replaceable(out, model_file_name, "OUT");
  engine::LoadOptions lo;
  lo.hf_row_order = true;  // HF's q/k row order; quantized tensors are dequantized by the writer
  auto model = engine::load_gguf_model(in, lo);
  engine::ModelConfig cfg = model->config();
  rope_factors_to_scaling(cfg, in.string());
  std::optional<engine::DType> dtype = parse_convert_dtype(opts.dtype);
  // Written beside OUT and swapped in whole: a failure leaves the previous directory complete.
  io::AtomicDir dir(out);
  engine::save_hf_model(cfg, model->weights(), dir.path(), dtype);

  ConvertReport rep;
  rep.tensors = static_cast<int>(engine::param_specs(cfg).size());
  rep.bytes = fs::file_size(dir.path() / "model.safetensors");
  if (opts.tokenizer) {
    auto f = io::GgufFile::open(in);
    rep.tokenizer = write_hf_tokenizer_from_gguf(f, dir.path(), rep.notes);
  }
  dir.commit();
  return rep;
}

}  // namespace lw::convert
