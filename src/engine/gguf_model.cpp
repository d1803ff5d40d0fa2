// GGUF model loading (llama architecture; f32, f16, bf16, Q8_0), on top of io/gguf.hpp.
#include "engine/gguf_model.hpp"

#include <cstring>
#include <regex>

#include <fmt/format.h>

#include "io/gguf.hpp"
#include "io/prefault.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace lw::engine {

namespace fs = std::filesystem;

ModelConfig config_from_gguf(const io::GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  if (arch != "llama")
    fail_input("{}: GGUF architecture '{}' is not supported (only llama)", f.name(), arch);
  auto key = [&](const char* k) { return "llama." + std::string(k); };
  ModelConfig c;
  c.arch = Arch::llama;
  c.C = static_cast<int>(f.get_int(key("embedding_length")));
  c.n_layer = static_cast<int>(f.get_int(key("block_count")));
  c.ffn = static_cast<int>(f.get_int(key("feed_forward_length")));
  c.n_head = static_cast<int>(f.get_int(key("attention.head_count")));
  c.n_kv_head = static_cast<int>(f.get_int(key("attention.head_count_kv"), c.n_head));
  c.hd = static_cast<int>(f.get_int(key("attention.key_length"), c.n_head > 0 ? c.C / c.n_head : 0));
  c.max_context = static_cast<int>(f.get_int(key("context_length"), 2048));
  c.rms_eps = static_cast<float>(f.get_float(key("attention.layer_norm_rms_epsilon"), 1e-5));
  c.rope_theta = static_cast<float>(f.get_float(key("rope.freq_base"), 10000.0));
  const int n_rot = static_cast<int>(f.get_int(key("rope.dimension_count"), c.hd));
  if (c.hd > 0) c.partial_rotary_factor = static_cast<float>(n_rot) / static_cast<float>(c.hd);
  if (auto t = f.get_string_opt(key("rope.scaling.type")); t && *t != "none") {
    if (*t != "linear") fail_input("{}: rope scaling type '{}' is not supported", f.name(), *t);
    c.rope_scaling.type = "linear";
    c.rope_scaling.factor = static_cast<float>(f.get_float(key("rope.scaling.factor"), 1.0));
  }
  if (f.has(key("vocab_size"))) {
    c.V = static_cast<int>(f.get_int(key("vocab_size")));
  } else if (f.has("tokenizer.ggml.tokens")) {
    c.V = static_cast<int>(f.get_string_array("tokenizer.ggml.tokens").size());
  } else if (const auto* t = f.find_tensor("token_embd.weight"); t && t->dims.size() == 2) {
    c.V = static_cast<int>(t->dims[1]);
  }
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  c.bos_id = static_cast<int32_t>(f.get_int("tokenizer.ggml.bos_token_id", -1));
  if (f.has("tokenizer.ggml.eos_token_id"))
    c.eos_ids.push_back(static_cast<int32_t>(f.get_int("tokenizer.ggml.eos_token_id")));
  if (f.has("tokenizer.ggml.eot_token_id")) {
    auto eot = static_cast<int32_t>(f.get_int("tokenizer.ggml.eot_token_id"));
    if (c.eos_ids.empty() || c.eos_ids[0] != eot) c.eos_ids.push_back(eot);
  }
  c.pad_id = static_cast<int32_t>(f.get_int("tokenizer.ggml.padding_token_id", -1));
  if (const auto* rf = f.find_tensor("rope_freqs.weight")) {
    if (rf->type != io::GgmlType::f32 || rf->n_elements != static_cast<uint64_t>(n_rot / 2))
      fail_input("{}: rope_freqs.weight must be f32 with {} values", f.name(), n_rot / 2);
    c.rope_freq_factors.resize(n_rot / 2);
    std::memcpy(c.rope_freq_factors.data(), rf->data.data(), c.rope_freq_factors.size() * 4);
  }
  c.validate(f.name());
  return c;
}

std::string gguf_tensor_name(const std::string& n) {
  if (n == "model.embed_tokens.weight") return "token_embd.weight";
  if (n == "model.norm.weight") return "output_norm.weight";
  if (n == "lm_head.weight") return "output.weight";
  static const std::regex re(R"(model\.layers\.(\d+)\.(.*))");
  static const std::map<std::string, std::string> layer = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"}};
  std::smatch m;
  if (std::regex_match(n, m, re)) {
    auto it = layer.find(m[2].str());
    if (it != layer.end()) return "blk." + m[1].str() + "." + it->second;
  }
  return "";
}

// Within a head of hd rows: HF row i < hd/2 pairs with i + hd/2; GGUF puts them at 2i, 2i+1.
int64_t gguf_row_of_hf_row(int64_t r, int hd) {
  const int64_t head = r / hd, i = r % hd, half = hd / 2;
  return head * hd + (i < half ? 2 * i : 2 * (i - half) + 1);
}

int64_t hf_row_of_gguf_row(int64_t r, int hd) {
  const int64_t head = r / hd, i = r % hd, half = hd / 2;
  return head * hd + (i % 2 == 0 ? i / 2 : half + i / 2);
}

namespace {

DType engine_dtype(const io::GgufFile& f, const io::GgufTensorInfo& t) {
  switch (t.type) {
    case io::GgmlType::f32: return DType::f32;
    case io::GgmlType::f16: return DType::f16;
    case io::GgmlType::bf16: return DType::bf16;
    case io::GgmlType::q8_0: return DType::q8_0;
    default:
      fail_input("{}: tensor {} has type {}; supported: f32, f16, bf16, q8_0", f.name(), t.name,
                 io::ggml_type_name(t.type));
  }
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

}  // namespace

std::unique_ptr<Model> load_gguf_model(const fs::path& path, const LoadOptions& opts) {
  auto file = std::make_shared<io::GgufFile>(io::GgufFile::open(path));
  const io::GgufFile& f = *file;
  ModelConfig cfg = config_from_gguf(f);
  if (opts.max_context > 0) cfg.max_context = opts.max_context;
  std::vector<std::shared_ptr<void>> storage{file};
  ModelWeights w = bind_weights(cfg, [&](const ParamSpec& spec) -> Tensor {
    const std::string gname = gguf_tensor_name(spec.name);
    const io::GgufTensorInfo* ti = f.find_tensor(gname);
    if (!ti) fail_input("{}: tensor {} not found (expected shape {})", f.name(), gname, shape_str(spec.shape));
    std::vector<int64_t> shape(ti->dims.rbegin(), ti->dims.rend());  // outermost first
    if (shape != spec.shape)
      fail_input("{}: tensor {} has shape {}, expected {}", f.name(), gname, shape_str(shape),
                 shape_str(spec.shape));
    const DType dt = engine_dtype(f, *ti);
    if (dt == DType::q8_0 && spec.shape.back() % 32 != 0)
      fail_input("{}: tensor {}: q8_0 rows must be a multiple of 32", f.name(), gname);
    Tensor t{dt, const_cast<std::byte*>(ti->data.data()), spec.shape};
    const bool small = spec.role == ParamRole::norm || spec.role == ParamRole::bias;
    const bool permuted = spec.name.ends_with("q_proj.weight") || spec.name.ends_with("k_proj.weight");
    DType want = dt;
    if (small || opts.convert == LoadOptions::Convert::f32) want = DType::f32;
    else if (opts.convert == LoadOptions::Convert::bf16) want = DType::bf16;
    if (want == dt && !permuted) {
      io::prefault(t.data, t.nbytes());  // used in place from the mapping: fault it in now
      return t;
    }
    const int64_t rows = t.rows(), cols = small ? t.numel() : t.cols();
    auto buf = alloc_buffer(dtype_bytes(want, t.numel()));
    storage.push_back(buf);
    std::vector<float> row(static_cast<size_t>(cols));
    const size_t in_row = dtype_bytes(dt, cols), out_row = dtype_bytes(want, cols);
    for (int64_t r = 0; r < (small ? 1 : rows); ++r) {
      const int64_t src = permuted ? gguf_row_of_hf_row(r, cfg.hd) : r;
      const char* s = static_cast<const char*>(t.data) + src * in_row;
      char* d = static_cast<char*>(buf.get()) + r * out_row;
      if (want == dt) {
        std::memcpy(d, s, in_row);
      } else {
        to_f32(dt, s, row.data(), cols);
        from_f32(want, row.data(), d, cols);
      }
    }
    return Tensor{want, buf.get(), spec.shape};
  });
  auto m = std::make_unique<Model>(cfg, std::move(w), std::move(storage), path.string());
  log::debug("loaded {}", m->describe());
  return m;
}

}  // namespace lw::engine
