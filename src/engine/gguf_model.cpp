// GGUF model metadata and tensor names (llama and chatglm architectures).
#include "engine/gguf_model.hpp"

#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "io/gguf.hpp"
#include "io/gguf_writer.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace {

// A metadata integer narrowed to 32 bits, refused when it does not fit (instead of wrapping).
int to_int(const io::GgufFile& f, const std::string& key, int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX)
    fail_input("{}: metadata key {}: {} is out of range for a 32-bit value", f.name(), key, v);
  return static_cast<int>(v);
}

}  // namespace

const char* gguf_arch_name(const ModelConfig& c) { return c.arch == Arch::glm4 ? "chatglm" : "llama"; }

ModelConfig config_from_gguf(const io::GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  if (arch != "llama" && arch != "chatglm")
    fail_input("{}: GGUF architecture '{}' is not supported (supported: llama, chatglm)", f.name(), arch);
  auto key = [&](const char* k) { return arch + "." + k; };
  ModelConfig c;
  c.arch = arch == "chatglm" ? Arch::glm4 : Arch::llama;
  c.C = to_int(f, key("embedding_length"), f.get_int(key("embedding_length")));
  c.n_layer = to_int(f, key("block_count"), f.get_int(key("block_count")));
  c.ffn = to_int(f, key("feed_forward_length"), f.get_int(key("feed_forward_length")));
  c.n_head = to_int(f, key("attention.head_count"), f.get_int(key("attention.head_count")));
  c.n_kv_head = to_int(f, key("attention.head_count_kv"), f.get_int(key("attention.head_count_kv"), c.n_head));
  c.hd = to_int(f, key("attention.key_length"), f.get_int(key("attention.key_length"), c.n_head > 0 ? c.C / c.n_head : 0));
  c.max_context = to_int(f, key("context_length"), f.get_int(key("context_length"), 2048));
  c.rms_eps = static_cast<float>(f.get_float(key("attention.layer_norm_rms_epsilon"), 1e-5));
  c.rope_theta = static_cast<float>(f.get_float(key("rope.freq_base"), 10000.0));
  const int n_rot = to_int(f, key("rope.dimension_count"), f.get_int(key("rope.dimension_count"), c.hd));
  if (c.hd > 0) c.partial_rotary_factor = static_cast<float>(n_rot) / static_cast<float>(c.hd);
  if (c.arch == Arch::glm4) {
    c.rope_interleaved = true;  // GLM rotates adjacent pairs in both formats
    c.qkv_bias = f.find_tensor("blk.0.attn_qkv.bias") != nullptr || f.find_tensor("blk.0.attn_q.bias") != nullptr;
  }
  if (auto t = f.get_string_opt(key("rope.scaling.type")); t && *t != "none") {
    if (*t != "linear") fail_input("{}: rope scaling type '{}' is not supported", f.name(), *t);
    c.rope_scaling.type = "linear";
    c.rope_scaling.factor = static_cast<float>(f.get_float(key("rope.scaling.factor"), 1.0));
  }
  if (f.has(key("vocab_size"))) {
    c.V = to_int(f, key("vocab_size"), f.get_int(key("vocab_size")));
  } else if (const auto* t = f.find_tensor("token_embd.weight"); t && t->dims.size() == 2) {
    c.V = to_int(f, "token_embd.weight (dimension 1)", static_cast<int64_t>(t->dims[1]));
  } else if (f.has("tokenizer.ggml.tokens")) {
    c.V = static_cast<int>(f.get_string_array("tokenizer.ggml.tokens").size());
  }
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;
  c.bos_id = to_int(f, "tokenizer.ggml.bos_token_id", f.get_int("tokenizer.ggml.bos_token_id", -1));
  if (f.has("tokenizer.ggml.eos_token_id"))
    c.eos_ids.push_back(to_int(f, "tokenizer.ggml.eos_token_id", f.get_int("tokenizer.ggml.eos_token_id")));
  if (f.has("tokenizer.ggml.eot_token_id")) {
    auto eot = to_int(f, "tokenizer.ggml.eot_token_id", f.get_int("tokenizer.ggml.eot_token_id"));
    if (c.eos_ids.empty() || c.eos_ids[0] != eot) c.eos_ids.push_back(eot);
  }
  c.pad_id = to_int(f, "tokenizer.ggml.padding_token_id", f.get_int("tokenizer.ggml.padding_token_id", -1));
  if (const auto* rf = f.find_tensor("rope_freqs.weight")) {
    if (rf->type != io::GgmlType::f32 || rf->n_elements != static_cast<uint64_t>(n_rot / 2))
      fail_input("{}: rope_freqs.weight must be f32 with {} values", f.name(), n_rot / 2);
    c.rope_freq_factors.resize(n_rot / 2);
    std::memcpy(c.rope_freq_factors.data(), rf->data.data(), c.rope_freq_factors.size() * 4);
  }
  c.validate(f.name());
  return c;
}

void write_gguf_config(const ModelConfig& c, io::GgufStreamWriter& w) {
  const std::string a = gguf_arch_name(c);
  auto u32 = [&](const char* k, int v) { w.set_u32(a + "." + k, static_cast<uint32_t>(v)); };
  u32("context_length", c.max_context);
  u32("embedding_length", c.C);
  u32("block_count", c.n_layer);
  u32("feed_forward_length", c.ffn);
  u32("attention.head_count", c.n_head);
  u32("attention.head_count_kv", c.n_kv_head);
  u32("attention.key_length", c.hd);
  u32("attention.value_length", c.hd);
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", c.rms_eps);
  w.set_f32(a + ".rope.freq_base", c.rope_theta);
  u32("rope.dimension_count", c.rot_dim());
  u32("vocab_size", c.V);
  if (c.rope_scaling.type == "linear") {
    w.set_string(a + ".rope.scaling.type", "linear");
    w.set_f32(a + ".rope.scaling.factor", c.rope_scaling.factor);
  }
  if (c.bos_id >= 0) w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(c.bos_id));
  if (!c.eos_ids.empty()) w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(c.eos_ids[0]));
  if (c.eos_ids.size() > 1) w.set_u32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(c.eos_ids[1]));
  if (c.pad_id >= 0) w.set_u32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(c.pad_id));
}

GgufPlace gguf_place(const ModelConfig& c, const ParamSpec& s, bool fused_qkv) {
  const std::string blk = fmt::format("blk.{}.", s.layer);
  const int64_t q = c.q_dim(), kv = c.kv_dim();
  auto qkv = [&](const char* kind, int64_t row0, int64_t rows, const char* sep) -> GgufPlace {
    if (fused_qkv) return {blk + "attn_qkv." + kind, row0, rows};
    return {blk + "attn_" + sep + "." + kind};
  };
  switch (s.slot) {
    case Slot::embed: return {"token_embd.weight"};
    case Slot::final_norm: return {"output_norm.weight"};
    case Slot::lm_head: return {"output.weight"};
    case Slot::attn_norm: return {blk + "attn_norm.weight"};
    case Slot::wq: return qkv("weight", 0, q, "q");
    case Slot::bq: return qkv("bias", 0, q, "q");
    case Slot::wk: return qkv("weight", q, kv, "k");
    case Slot::bk: return qkv("bias", q, kv, "k");
    case Slot::wv: return qkv("weight", q + kv, kv, "v");
    case Slot::bv: return qkv("bias", q + kv, kv, "v");
    case Slot::wo: return {blk + "attn_output.weight"};
    case Slot::ffn_norm: return {blk + "ffn_norm.weight"};
    case Slot::w_gate: return {blk + "ffn_gate.weight"};
    case Slot::w_up: return {blk + "ffn_up.weight"};
    case Slot::w_gate_up: return {blk + "ffn_up.weight"};  // chatglm: [gate; up]
    case Slot::w_down: return {blk + "ffn_down.weight"};
  }
  return {};
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

bool gguf_rows_permuted(const ModelConfig& c, const ParamSpec& spec) {
  return c.arch == Arch::llama && (spec.slot == Slot::wq || spec.slot == Slot::wk);
}

}  // namespace lw::engine
