// load_model: HF model directories (config.json + safetensors, single or sharded). GGUF files are
// handled in gguf_model.cpp.
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "engine/gguf_model.hpp"
#include "engine/model.hpp"
#include "io/prefault.hpp"
#include "io/safetensors.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::engine {

namespace fs = std::filesystem;

// engine/gguf_model.hpp

namespace {

// A tensor found in the files: dtype, data, shape (possibly a row range of a fused tensor).
struct Found {
  const io::StTensor* st = nullptr;
  int64_t row0 = 0, rows = -1;  // row range for split fused tensors (-1: all)
};

// The ChatGLM (THUDM glm-4-9b-chat) tensor for a parameter, by its slot (as gguf_place does for
// GGUF names), with the row range of the fused query_key_value for q/k/v.
std::optional<Found> chatglm_alias(const io::SafetensorsReader& r, const ModelConfig& c, const ParamSpec& s) {
  const std::string layer = fmt::format("transformer.encoder.layers.{}.", s.layer);
  const int64_t q = c.q_dim(), kv = c.kv_dim();
  std::string name;
  int64_t row0 = 0, rows = -1;
  auto qkv = [&](const char* kind, int64_t first, int64_t n) {
    name = layer + "self_attention.query_key_value." + kind, row0 = first, rows = n;
  };
  switch (s.slot) {
    case Slot::embed:
      name = "transformer.embedding.word_embeddings.weight";
      break;
    case Slot::final_norm:
      name = "transformer.encoder.final_layernorm.weight";
      break;
    case Slot::lm_head:
      name = "transformer.output_layer.weight";
      break;
    case Slot::attn_norm:
      name = layer + "input_layernorm.weight";
      break;
    case Slot::ffn_norm:
      name = layer + "post_attention_layernorm.weight";
      break;
    case Slot::wo:
      name = layer + "self_attention.dense.weight";
      break;
    case Slot::w_gate_up:
      name = layer + "mlp.dense_h_to_4h.weight";
      break;
    case Slot::w_down:
      name = layer + "mlp.dense_4h_to_h.weight";
      break;
    case Slot::wq:
      qkv("weight", 0, q);
      break;
    case Slot::bq:
      qkv("bias", 0, q);
      break;
    case Slot::wk:
      qkv("weight", q, kv);
      break;
    case Slot::bk:
      qkv("bias", q, kv);
      break;
    case Slot::wv:
      qkv("weight", q + kv, kv);
      break;
    case Slot::bv:
      qkv("bias", q + kv, kv);
      break;
    case Slot::w_gate:
    case Slot::w_up:
      return std::nullopt;  // glm4 has the fused gate_up only
  }
  if (name.empty() || !r.has(name)) return std::nullopt;
  return Found{&r.get(name), row0, rows};
}

DType engine_dtype(const io::StTensor& t) {
  switch (t.dtype) {
    case io::StDType::F32:
      return DType::f32;
    case io::StDType::F16:
      return DType::f16;
    case io::StDType::BF16:
      return DType::bf16;
    default:
      fail_input("{}: tensor {} has dtype {}; model weights must be F32, F16 or BF16", t.file, t.name,
                 io::st_dtype_name(t.dtype));
  }
}

}  // namespace

std::unique_ptr<Model> load_model(const fs::path& path, const LoadOptions& opts) {
  if (!fs::exists(path)) fail_input("{}: no such model file or directory", path.string());
  if (path.extension() == ".gguf") return load_gguf_model(path, opts);
  if (!fs::is_directory(path))
    fail_input("{}: expected a model directory (config.json + *.safetensors) or a .gguf file", path.string());
  ModelConfig cfg = load_hf_config(path);
  if (opts.max_context > 0) cfg.max_context = opts.max_context;
  auto reader = std::make_shared<io::SafetensorsReader>(path);
  std::vector<std::shared_ptr<void>> storage{reader};
  if (!cfg.tie_word_embeddings && !reader->has("lm_head.weight") &&
      !reader->has("transformer.output_layer.weight")) {
    // Some checkpoints omit lm_head.weight although config.json does not say tied.
    fail_input("{}: tensor lm_head.weight not found (config.json has tie_word_embeddings=false)",
               reader->path().string());
  }
  ModelWeights w = bind_weights(cfg, [&](const ParamSpec& spec) -> Tensor {
    Found f;
    if (reader->has(spec.name)) {
      f.st = &reader->get(spec.name);
    } else if (auto a = chatglm_alias(*reader, cfg, spec)) {
      f = *a;
    } else {
      fail_input("{}: tensor {} not found (expected shape {})", reader->path().string(), spec.name,
                 shape_str(spec.shape));
    }
    const io::StTensor& st = *f.st;
    std::vector<int64_t> shape = st.shape;
    if (f.rows >= 0) {
      if (shape.empty() || shape[0] < f.row0 + f.rows)
        fail_input("{}: tensor {} has shape {}, too small for the q/k/v split of config.json", st.file,
                   st.name, shape_str(st.shape));
      shape[0] = f.rows;
    }
    if (shape != spec.shape)
      fail_input("{}: tensor {} has shape {}, expected {} for {} from config.json", st.file, st.name,
                 shape_str(shape), shape_str(spec.shape), spec.name);
    Tensor t{engine_dtype(st), const_cast<void*>(st.data), st.shape};
    if (f.rows >= 0)
      t = t.shape.size() == 2
              ? t.row_slice(f.row0, f.rows)
              : Tensor{t.dtype, static_cast<char*>(t.data) + dtype_bytes(t.dtype, f.row0), {f.rows}};
    const bool small = spec.role == ParamRole::norm || spec.role == ParamRole::bias;
    DType want = t.dtype;
    if (small || opts.convert == LoadOptions::Convert::f32)
      want = DType::f32;
    else if (opts.convert == LoadOptions::Convert::bf16)
      want = DType::bf16;
    if (want == t.dtype) {
      if (opts.prefault) io::prefault(t.data, t.nbytes());  // used in place from the mapping: fault it in now
      return t;
    }
    const int64_t n = t.numel();
    std::vector<float> tmp(static_cast<size_t>(n));
    to_f32(t.dtype, t.data, tmp.data(), n);
    auto buf = alloc_buffer(dtype_bytes(want, n));
    from_f32(want, tmp.data(), buf.get(), n);
    storage.push_back(buf);
    return Tensor{want, buf.get(), spec.shape};
  });
  auto m = std::make_unique<Model>(cfg, std::move(w), std::move(storage), path.string());
  log::debug("loaded {}", m->describe());
  return m;
}

}  // namespace lw::engine
