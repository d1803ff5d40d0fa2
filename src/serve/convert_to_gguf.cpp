// HF safetensors directory -> GGUF (llama architecture).
#include <cstring>

#include "engine/config.hpp"
#include "engine/gguf_model.hpp"
#include "engine/params.hpp"
#include "engine/tensor.hpp"
#include "io/gguf_writer.hpp"
#include "io/safetensors.hpp"
#include "serve/convert.hpp"
#include "serve/convert_common.hpp"
#include "serve/gguf_tokenizer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::serve {

namespace fs = std::filesystem;
using TT = io::GgufStreamWriter::TensorType;

namespace {

engine::DType engine_dtype_of(const io::StTensor& t) {
  switch (t.dtype) {
    case io::StDType::F32: return engine::DType::f32;
    case io::StDType::F16: return engine::DType::f16;
    case io::StDType::BF16: return engine::DType::bf16;
    default:
      fail_input("{}: tensor {} has dtype {}; convert handles F32, F16, BF16", t.file, t.name,
                 io::st_dtype_name(t.dtype));
  }
}

TT gguf_type_of(engine::DType d) {
  switch (d) {
    case engine::DType::f32: return TT::f32;
    case engine::DType::f16: return TT::f16;
    case engine::DType::bf16: return TT::bf16;
    default: fail("GGUF output type {} is not supported", engine::dtype_name(d));
  }
}

void write_config_metadata(const engine::ModelConfig& c, io::GgufStreamWriter& w) {
  w.set_u32("llama.context_length", static_cast<uint32_t>(c.max_context));
  w.set_u32("llama.embedding_length", static_cast<uint32_t>(c.C));
  w.set_u32("llama.block_count", static_cast<uint32_t>(c.n_layer));
  w.set_u32("llama.feed_forward_length", static_cast<uint32_t>(c.ffn));
  w.set_u32("llama.attention.head_count", static_cast<uint32_t>(c.n_head));
  w.set_u32("llama.attention.head_count_kv", static_cast<uint32_t>(c.n_kv_head));
  w.set_u32("llama.attention.key_length", static_cast<uint32_t>(c.hd));
  w.set_u32("llama.attention.value_length", static_cast<uint32_t>(c.hd));
  w.set_f32("llama.attention.layer_norm_rms_epsilon", c.rms_eps);
  w.set_f32("llama.rope.freq_base", c.rope_theta);
  w.set_u32("llama.rope.dimension_count", static_cast<uint32_t>(c.rot_dim()));
  w.set_u32("llama.vocab_size", static_cast<uint32_t>(c.V));
  if (c.rope_scaling.type == "linear") {
    w.set_string("llama.rope.scaling.type", "linear");
    w.set_f32("llama.rope.scaling.factor", c.rope_scaling.factor);
  }
  if (c.bos_id >= 0) w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(c.bos_id));
  if (!c.eos_ids.empty()) w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(c.eos_ids[0]));
  if (c.eos_ids.size() > 1) w.set_u32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(c.eos_ids[1]));
  if (c.pad_id >= 0) w.set_u32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(c.pad_id));
}

}  // namespace

ConvertReport convert_hf_to_gguf(const fs::path& in, const fs::path& out, const ConvertOptions& opts) {
  if (!fs::is_directory(in)) fail_input("{}: expected an HF model directory (config.json + safetensors)", in.string());
  const engine::ModelConfig cfg = engine::load_hf_config(in);
  if (cfg.arch != engine::Arch::llama)
    fail_input("{}: convert to GGUF handles the llama architecture only (this model is {})", in.string(),
               engine::arch_name(cfg.arch));
  if (cfg.rope_interleaved || cfg.rot_dim() != cfg.hd || cfg.qkv_bias)
    fail_input("{}: partial/interleaved rotary or q/k/v biases have no llama GGUF layout", in.string());
  if (!cfg.rope_scaling.type.empty() && cfg.rope_scaling.type != "linear" && cfg.rope_scaling.type != "llama3")
    fail_input("{}: rope_scaling type '{}' has no GGUF equivalent", in.string(), cfg.rope_scaling.type);
  io::SafetensorsReader st(in);

  ConvertReport rep;
  io::GgufStreamWriter w;
  w.set_string("general.architecture", "llama");
  w.set_string("general.name", opts.name.empty() ? model_name_of(in) : opts.name);
  write_config_metadata(cfg, w);

  const auto specs = engine::param_specs(cfg);
  std::optional<engine::DType> forced = parse_convert_dtype(opts.dtype);
  engine::DType main_dtype = engine::DType::f32;
  for (const auto& spec : specs) {
    const io::StTensor& t = st.get(spec.name, spec.shape);
    const engine::DType din = engine_dtype_of(t);
    const bool small = spec.role == engine::ParamRole::norm || spec.role == engine::ParamRole::bias;
    const engine::DType dout = small ? engine::DType::f32 : forced.value_or(din);
    if (spec.role == engine::ParamRole::embedding) main_dtype = dout;
    const bool permuted = spec.name.ends_with("q_proj.weight") || spec.name.ends_with("k_proj.weight");
    const int64_t rows = spec.shape.size() == 2 ? spec.shape[0] : 1;
    const int64_t cols = spec.shape.size() == 2 ? spec.shape[1] : spec.shape[0];
    const int hd = cfg.hd;
    const std::string gname = engine::gguf_tensor_name(spec.name);
    LW_CHECK(!gname.empty(), "no GGUF name for {}", spec.name);
    w.add_tensor(gname, gguf_type_of(dout), spec.shape, [&t, din, dout, permuted, rows, cols, hd](const auto& sink) {
      const size_t in_row = engine::dtype_bytes(din, cols), out_row = engine::dtype_bytes(dout, cols);
      std::vector<float> f32(static_cast<size_t>(cols));
      std::string buf(out_row, '\0');
      for (int64_t r = 0; r < rows; ++r) {
        // GGUF row r holds HF row hf_row_of_gguf_row(r) for q/k (llama.cpp's permutation).
        const int64_t src = permuted ? engine::hf_row_of_gguf_row(r, hd) : r;
        const char* s = static_cast<const char*>(t.data) + src * in_row;
        if (din == dout) {
          sink(std::string_view(s, in_row));
        } else {
          engine::to_f32(din, s, f32.data(), cols);
          engine::from_f32(dout, f32.data(), buf.data(), cols);
          sink(buf);
        }
      }
    });
    rep.tensors++;
    rep.bytes += engine::dtype_bytes(dout, rows * cols);
  }
  // Llama 3.1 rope scaling: llama.cpp stores per-frequency divisors as rope_freqs.weight.
  std::vector<float> freq_factors;
  if (cfg.rope_scaling.type == "llama3") {
    engine::ModelConfig plain = cfg;
    plain.rope_scaling = {};
    auto base = engine::rope_inv_freq(plain), scaled = engine::rope_inv_freq(cfg);
    for (size_t i = 0; i < base.size(); ++i) freq_factors.push_back(base[i] / scaled[i]);
    w.add_tensor("rope_freqs.weight", TT::f32, {static_cast<int64_t>(freq_factors.size())},
                 std::as_bytes(std::span<const float>(freq_factors)));
    rep.tensors++;
  }
  w.set_u32("general.file_type", main_dtype == engine::DType::f32 ? 0u : main_dtype == engine::DType::f16 ? 1u : 32u);
  if (opts.tokenizer) rep.tokenizer = add_hf_tokenizer_to_gguf(in, cfg, w, rep.notes);
  w.write(out);
  return rep;
}

}  // namespace lw::serve
