#include "engine/config.hpp"

#include <climits>
#include <cmath>

#include "engine/params.hpp"
#include "io/file.hpp"
#include "io/json_read.hpp"
#include "util/error.hpp"

namespace lw::engine {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string arch_name(Arch a) {
  return a == Arch::glm4 ? "glm4" : "llama";
}

int ModelConfig::rot_dim() const {
  int r = static_cast<int>(std::lround(hd * partial_rotary_factor));
  return r - (r % 2);
}

void ModelConfig::validate(const std::string& where) const {
  auto need = [&](int v, const char* name) {
    if (v <= 0) fail_input("{}: {} must be positive (got {})", where, name, v);
  };
  need(V, "vocab_size");
  need(C, "hidden_size");
  need(n_layer, "num_hidden_layers");
  need(n_head, "num_attention_heads");
  need(n_kv_head, "num_key_value_heads");
  need(hd, "head_dim");
  need(ffn, "intermediate_size");
  need(max_context, "max_position_embeddings");
  if (n_head % n_kv_head != 0)
    fail_input("{}: num_attention_heads ({}) must be a multiple of num_key_value_heads ({})", where, n_head,
               n_kv_head);
  if (!(partial_rotary_factor > 0.0f && partial_rotary_factor <= 1.0f) || rot_dim() < 2)
    fail_input("{}: partial_rotary_factor {} gives no rotary dims for head_dim {}", where,
               partial_rotary_factor, hd);
  // Upper bounds far above any real model, so a hostile count fails here instead of in an
  // allocation of petabytes (a block_count near 2^31 used to end in std::bad_alloc).
  auto at_most = [&](int v, int cap, const char* name) {
    if (v > cap) fail_input("{}: {} = {} is out of range (at most {})", where, name, v, cap);
  };
  at_most(V, 1 << 24, "vocab_size");
  at_most(C, 1 << 16, "hidden_size");
  at_most(n_layer, 1024, "num_hidden_layers");
  at_most(n_head, 1024, "num_attention_heads");
  at_most(hd, 4096, "head_dim");
  at_most(ffn, 1 << 20, "intermediate_size");
  at_most(max_context, 1 << 24, "max_position_embeddings");
  if (n_kv_head > n_head)
    fail_input("{}: num_key_value_heads ({}) exceeds num_attention_heads ({})", where, n_kv_head, n_head);
  if (!(std::isfinite(rms_eps) && rms_eps > 0.0f && rms_eps < 1.0f))
    fail_input("{}: rms_norm_eps {} is out of range (expected a finite value in (0, 1))", where, rms_eps);
  if (!(std::isfinite(rope_theta) && rope_theta >= 1.0f))
    fail_input("{}: rope_theta {} is out of range (expected a finite base >= 1)", where, rope_theta);
  if (!(std::isfinite(rope_scaling.factor) && rope_scaling.factor > 0.0f && rope_scaling.factor <= 1024.0f))
    fail_input("{}: rope_scaling.factor {} is out of range (expected a finite value in (0, 1024])", where,
               rope_scaling.factor);
  if (rope_scaling.type == "llama3") {
    const auto& rs = rope_scaling;
    if (!(std::isfinite(rs.low_freq_factor) && std::isfinite(rs.high_freq_factor) &&
          rs.low_freq_factor > 0.0f && rs.high_freq_factor > rs.low_freq_factor))
      fail_input(
          "{}: rope_scaling: low_freq_factor {} and high_freq_factor {} must be finite with 0 < low < high",
          where, rs.low_freq_factor, rs.high_freq_factor);
    if (rs.original_max_position_embeddings <= 0)
      fail_input("{}: rope_scaling.original_max_position_embeddings must be positive (got {})", where,
                 rs.original_max_position_embeddings);
  }
  for (float f : rope_freq_factors)
    if (!(std::isfinite(f) && f > 0.0f))
      fail_input("{}: rope_freqs: factor {} is not a finite positive value", where, f);
  if (!rope_scaling.type.empty() && rope_scaling.type != "llama3" && rope_scaling.type != "linear")
    fail_input("{}: rope_scaling type '{}' is not supported (llama3, linear)", where, rope_scaling.type);
}

int64_t ModelConfig::n_params() const {
  int64_t n = 0;
  for (const auto& s : param_specs(*this)) n += s.numel();
  return n;
}

namespace {

struct Fields {
  const Json& j;
  const std::string& where;
  bool has(const char* k) const { return j.contains(k) && !j[k].is_null(); }
  int integer(const char* k) const {
    if (!has(k)) fail_input("{}: missing field \"{}\"", where, k);
    return int32(j[k], k);
  }
  // A JSON integer that fits 32 bits (a larger one would wrap when narrowed).
  int int32(const Json& v, const char* k) const {
    if (!v.is_number_integer()) fail_input("{}: field \"{}\": expected integer", where, k);
    if (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(INT32_MAX)
                               : (v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX))
      fail_input("{}: field \"{}\": {} is out of range for a 32-bit integer", where, k, v.dump());
    return static_cast<int>(v.get<int64_t>());
  }
  int integer_or(const char* k, int def) const { return has(k) ? integer(k) : def; }
  double number_or(const char* k, double def) const {
    if (!has(k)) return def;
    if (!j[k].is_number()) fail_input("{}: field \"{}\": expected number", where, k);
    return j[k].get<double>();
  }
  bool boolean_or(const char* k, bool def) const {
    if (!has(k)) return def;
    if (!j[k].is_boolean()) fail_input("{}: field \"{}\": expected true or false", where, k);
    return j[k].get<bool>();
  }
  std::vector<int32_t> ids(const char* k) const {
    std::vector<int32_t> r;
    if (!has(k)) return r;
    if (j[k].is_number_integer()) {
      r.push_back(int32(j[k], k));
    } else if (j[k].is_array()) {
      for (const auto& v : j[k]) {
        if (!v.is_number_integer()) fail_input("{}: field \"{}\": expected integer ids", where, k);
        r.push_back(int32(v, k));
      }
    } else {
      fail_input("{}: field \"{}\": expected an id or a list of ids", where, k);
    }
    return r;
  }
};

void read_rope_scaling(const Fields& f, ModelConfig& c) {
  // transformers >= 5 writes "rope_parameters" (rope_type, rope_theta, factor, ...) instead.
  const char* key = f.has("rope_scaling")      ? "rope_scaling"
                    : f.has("rope_parameters") ? "rope_parameters"
                                               : nullptr;
  if (!key) return;
  const Json& rs = f.j[key];
  if (!rs.is_object()) fail_input("{}: field \"{}\": expected an object or null", f.where, key);
  std::string type;
  if (rs.contains("rope_type") && rs["rope_type"].is_string())
    type = rs["rope_type"];
  else if (rs.contains("type") && rs["type"].is_string())
    type = rs["type"];
  if (type == "default") type.clear();
  c.rope_scaling.type = type;
  Fields g{rs, f.where};
  c.rope_scaling.factor = static_cast<float>(g.number_or("factor", 1.0));
  c.rope_scaling.low_freq_factor = static_cast<float>(g.number_or("low_freq_factor", 1.0));
  c.rope_scaling.high_freq_factor = static_cast<float>(g.number_or("high_freq_factor", 4.0));
  c.rope_scaling.original_max_position_embeddings = g.integer_or("original_max_position_embeddings", 8192);
}

ModelConfig parse_llama_like(const Fields& f, Arch arch) {
  ModelConfig c;
  c.arch = arch;
  c.V = f.integer("vocab_size");
  c.C = f.integer("hidden_size");
  c.n_layer = f.integer("num_hidden_layers");
  c.n_head = f.integer("num_attention_heads");
  c.n_kv_head = f.integer_or("num_key_value_heads", c.n_head);
  c.hd = f.integer_or("head_dim", c.n_head > 0 ? c.C / c.n_head : 0);
  c.ffn = f.integer("intermediate_size");
  c.rms_eps = static_cast<float>(f.number_or("rms_norm_eps", 1e-6));
  c.rope_theta = static_cast<float>(f.number_or("rope_theta", 10000.0));
  if (!f.has("rope_theta") && f.has("rope_parameters") && f.j["rope_parameters"].is_object())
    c.rope_theta =
        static_cast<float>(Fields{f.j["rope_parameters"], f.where}.number_or("rope_theta", 10000.0));
  c.max_context = f.integer_or("max_position_embeddings", 2048);
  c.bos_id = f.ids("bos_token_id").empty() ? -1 : f.ids("bos_token_id")[0];
  c.eos_ids = f.ids("eos_token_id");
  c.pad_id = f.ids("pad_token_id").empty() ? -1 : f.ids("pad_token_id")[0];
  read_rope_scaling(f, c);
  if (arch == Arch::glm4) {
    c.partial_rotary_factor = static_cast<float>(f.number_or("partial_rotary_factor", 0.5));
    c.rope_interleaved = true;
    c.qkv_bias = f.boolean_or("attention_bias", true);
    c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", false);
  } else {
    c.partial_rotary_factor = static_cast<float>(f.number_or("partial_rotary_factor", 1.0));
    c.tie_word_embeddings = f.boolean_or("tie_word_embeddings", false);
    if (f.boolean_or("attention_bias", false))
      fail_input(
          "{}: attention_bias=true (biases on every attention projection) is not supported "
          "for llama models",
          f.where);
    if (f.boolean_or("mlp_bias", false)) fail_input("{}: mlp_bias=true is not supported", f.where);
  }
  return c;
}

ModelConfig parse_chatglm(const Fields& f) {
  ModelConfig c;
  c.arch = Arch::glm4;
  c.V = f.has("padded_vocab_size") ? f.integer("padded_vocab_size") : f.integer("vocab_size");
  c.C = f.integer("hidden_size");
  c.n_layer = f.integer("num_layers");
  c.n_head = f.integer("num_attention_heads");
  c.n_kv_head = f.boolean_or("multi_query_attention", false) ? f.integer("multi_query_group_num") : c.n_head;
  c.hd = f.integer_or("kv_channels", c.C / c.n_head);
  c.ffn = f.integer("ffn_hidden_size");
  c.rms_eps = static_cast<float>(f.number_or("layernorm_epsilon", 1e-5));
  c.rope_theta = static_cast<float>(10000.0 * f.number_or("rope_ratio", 1.0));
  c.partial_rotary_factor = 0.5f;
  c.rope_interleaved = true;
  c.qkv_bias = f.boolean_or("add_qkv_bias", true);
  c.tie_word_embeddings = false;
  c.max_context = f.integer_or("seq_length", 8192);
  c.eos_ids = f.ids("eos_token_id");
  c.pad_id = f.ids("pad_token_id").empty() ? -1 : f.ids("pad_token_id")[0];
  if (!f.boolean_or("rmsnorm", true))
    fail_input("{}: rmsnorm=false (LayerNorm ChatGLM) is not supported", f.where);
  if (f.boolean_or("apply_residual_connection_post_layernorm", false))
    fail_input("{}: apply_residual_connection_post_layernorm=true is not supported", f.where);
  return c;
}

}  // namespace

ModelConfig config_from_hf_json(const Json& j, const std::string& where) {
  if (!j.is_object()) fail_input("{}: expected a JSON object", where);
  Fields f{j, where};
  std::string mt =
      j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  std::string archs;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string())
    archs = j["architectures"][0].get<std::string>();
  ModelConfig c;
  if (mt == "chatglm" || archs == "ChatGLMForConditionalGeneration" || archs == "ChatGLMModel") {
    c = parse_chatglm(f);
  } else if (mt == "glm" || archs == "GlmForCausalLM") {
    c = parse_llama_like(f, Arch::glm4);
  } else if (mt == "llama" || archs == "LlamaForCausalLM" || mt == "mistral" ||
             archs == "MistralForCausalLM") {
    c = parse_llama_like(f, Arch::llama);
  } else if (mt == "glm4" || archs == "Glm4ForCausalLM") {
    fail_input(
        "{}: model_type glm4 (GLM-4-0414, with extra post-norms) is not supported; "
        "supported: llama, glm (GlmForCausalLM), chatglm",
        where);
  } else {
    fail_input(
        "{}: unsupported model (model_type '{}', architectures '{}'); supported: llama "
        "(LlamaForCausalLM), glm (GlmForCausalLM), chatglm (ChatGLMForConditionalGeneration)",
        where, mt, archs);
  }
  c.validate(where);
  return c;
}

ModelConfig load_hf_config(const fs::path& path) {
  fs::path p = fs::is_directory(path) ? path / "config.json" : path;
  const Json j = io::parse_json(io::read_file(p), p.string());
  return io::with_json_errors(p.string(), [&] { return config_from_hf_json(j, p.string()); });
}

Json config_to_hf_json(const ModelConfig& c) {
  Json j;
  bool glm = c.arch == Arch::glm4;
  j["architectures"] = {glm ? "GlmForCausalLM" : "LlamaForCausalLM"};
  j["model_type"] = glm ? "glm" : "llama";
  j["vocab_size"] = c.V;
  j["hidden_size"] = c.C;
  j["intermediate_size"] = c.ffn;
  j["num_hidden_layers"] = c.n_layer;
  j["num_attention_heads"] = c.n_head;
  j["num_key_value_heads"] = c.n_kv_head;
  j["head_dim"] = c.hd;
  j["hidden_act"] = "silu";
  j["rms_norm_eps"] = c.rms_eps;
  j["rope_theta"] = c.rope_theta;
  j["max_position_embeddings"] = c.max_context;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["attention_bias"] = c.qkv_bias;
  if (glm || c.partial_rotary_factor != 1.0f) j["partial_rotary_factor"] = c.partial_rotary_factor;
  if (!c.rope_scaling.type.empty()) {
    j["rope_scaling"] = {
        {"rope_type", c.rope_scaling.type},
        {"factor", c.rope_scaling.factor},
        {"low_freq_factor", c.rope_scaling.low_freq_factor},
        {"high_freq_factor", c.rope_scaling.high_freq_factor},
        {"original_max_position_embeddings", c.rope_scaling.original_max_position_embeddings}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  if (c.bos_id >= 0) j["bos_token_id"] = c.bos_id;
  if (c.eos_ids.size() == 1)
    j["eos_token_id"] = c.eos_ids[0];
  else if (!c.eos_ids.empty())
    j["eos_token_id"] = c.eos_ids;
  if (c.pad_id >= 0) j["pad_token_id"] = c.pad_id;
  j["torch_dtype"] = "float32";
  return j;
}

std::vector<float> rope_inv_freq(const ModelConfig& c) {
  // HF computes the frequencies in float32 tensor arithmetic (modeling_rope_utils.py); every step
  // below is that float32 operation, so the values are HF's to the bit. The one exception is
  // theta ** (2i / rot): torch's float32 pow is off by an ulp on some CPUs and versions, so it is
  // the correctly rounded value here (double pow, rounded once).
  const int rot = c.rot_dim();
  std::vector<float> inv(rot / 2);
  for (int i = 0; i < rot / 2; ++i) {
    const float e = static_cast<float>(2 * i) / static_cast<float>(rot);
    inv[i] = 1.0f / static_cast<float>(std::pow(static_cast<double>(c.rope_theta), static_cast<double>(e)));
  }
  const auto& rs = c.rope_scaling;
  if (rs.type == "linear") {
    for (float& f : inv) f /= rs.factor;
  } else if (rs.type == "llama3") {
    // As _compute_llama3_parameters, in float32: wavelen = 2π / f (torch: reciprocal(f) * 2π),
    // the low band divided by the factor, the middle band smoothed between f / factor and f.
    const float old_ctx = static_cast<float>(rs.original_max_position_embeddings);
    const float low_wl = old_ctx / rs.low_freq_factor;
    const float high_wl = old_ctx / rs.high_freq_factor;
    const float two_pi = static_cast<float>(2.0 * M_PI);
    for (float& f : inv) {
      const float wl = (1.0f / f) * two_pi;
      if (wl < high_wl) continue;
      if (wl > low_wl) {
        f = f / rs.factor;
      } else {
        const float smooth =
            ((1.0f / wl) * old_ctx - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
        f = (1.0f - smooth) * f / rs.factor + smooth * f;
      }
    }
  }
  if (!c.rope_freq_factors.empty()) {
    LW_CHECK(c.rope_freq_factors.size() == inv.size(), "rope_freq_factors: {} values for {} frequencies",
             c.rope_freq_factors.size(), inv.size());
    for (size_t i = 0; i < inv.size(); ++i) inv[i] /= c.rope_freq_factors[i];
  }
  return inv;
}

}  // namespace lw::engine
