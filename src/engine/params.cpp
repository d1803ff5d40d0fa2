#include "engine/params.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace lw::engine {

int64_t ParamSpec::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<ParamSpec> param_specs(const ModelConfig& c) {
  std::vector<ParamSpec> s;
  const int64_t C = c.C, V = c.V, q = c.q_dim(), kv = c.kv_dim(), ffn = c.ffn;
  auto add = [&](std::string name, std::vector<int64_t> shape, ParamRole role, int layer) {
    bool wd = role == ParamRole::linear || role == ParamRole::embedding || role == ParamRole::lm_head;
    s.push_back({std::move(name), std::move(shape), role, layer, wd});
  };
  add("model.embed_tokens.weight", {V, C}, ParamRole::embedding, -1);
  for (int l = 0; l < c.n_layer; ++l) {
    std::string p = fmt::format("model.layers.{}.", l);
    add(p + "input_layernorm.weight", {C}, ParamRole::norm, l);
    add(p + "self_attn.q_proj.weight", {q, C}, ParamRole::linear, l);
    if (c.qkv_bias) add(p + "self_attn.q_proj.bias", {q}, ParamRole::bias, l);
    add(p + "self_attn.k_proj.weight", {kv, C}, ParamRole::linear, l);
    if (c.qkv_bias) add(p + "self_attn.k_proj.bias", {kv}, ParamRole::bias, l);
    add(p + "self_attn.v_proj.weight", {kv, C}, ParamRole::linear, l);
    if (c.qkv_bias) add(p + "self_attn.v_proj.bias", {kv}, ParamRole::bias, l);
    add(p + "self_attn.o_proj.weight", {C, q}, ParamRole::linear, l);
    add(p + "post_attention_layernorm.weight", {C}, ParamRole::norm, l);
    if (c.arch == Arch::glm4) {
      add(p + "mlp.gate_up_proj.weight", {2 * ffn, C}, ParamRole::linear, l);
    } else {
      add(p + "mlp.gate_proj.weight", {ffn, C}, ParamRole::linear, l);
      add(p + "mlp.up_proj.weight", {ffn, C}, ParamRole::linear, l);
    }
    add(p + "mlp.down_proj.weight", {C, ffn}, ParamRole::linear, l);
  }
  add("model.norm.weight", {C}, ParamRole::norm, -1);
  if (!c.tie_word_embeddings) add("lm_head.weight", {V, C}, ParamRole::lm_head, -1);
  return s;
}

ModelWeights bind_weights(const ModelConfig& c, const std::function<Tensor(const ParamSpec&)>& get) {
  ModelWeights w;
  w.layers.resize(c.n_layer);
  for (const auto& spec : param_specs(c)) {
    Tensor t = get(spec);
    LW_CHECK(t.shape == spec.shape, "bind_weights: {} has the wrong shape", spec.name);
    if (spec.role == ParamRole::norm || spec.role == ParamRole::bias)
      LW_CHECK(t.dtype == DType::f32, "bind_weights: {} must be f32", spec.name);
    const std::string& n = spec.name;
    auto ends = [&](const char* suffix) {
      std::string_view sv(n), sx(suffix);
      return sv.size() >= sx.size() && sv.substr(sv.size() - sx.size()) == sx;
    };
    if (spec.layer < 0) {
      if (spec.role == ParamRole::embedding) w.tok_embd = t;
      else if (spec.role == ParamRole::norm) w.final_norm = t;
      else w.lm_head = t;
      continue;
    }
    LayerWeights& L = w.layers[spec.layer];
    if (ends("input_layernorm.weight")) L.attn_norm = t;
    else if (ends("q_proj.weight")) L.wq = t;
    else if (ends("k_proj.weight")) L.wk = t;
    else if (ends("v_proj.weight")) L.wv = t;
    else if (ends("q_proj.bias")) L.bq = t;
    else if (ends("k_proj.bias")) L.bk = t;
    else if (ends("v_proj.bias")) L.bv = t;
    else if (ends("o_proj.weight")) L.wo = t;
    else if (ends("post_attention_layernorm.weight")) L.ffn_norm = t;
    else if (ends("gate_up_proj.weight")) {
      L.w_gate = t.row_slice(0, c.ffn);
      L.w_up = t.row_slice(c.ffn, c.ffn);
    } else if (ends("gate_proj.weight")) L.w_gate = t;
    else if (ends("up_proj.weight")) L.w_up = t;
    else if (ends("down_proj.weight")) L.w_down = t;
    else LW_CHECK(false, "bind_weights: unknown parameter {}", n);
  }
  if (c.tie_word_embeddings) w.lm_head = w.tok_embd;
  return w;
}

Tensor weight_of(const ModelConfig& c, const ModelWeights& w, const ParamSpec& spec) {
  if (spec.layer < 0) {
    if (spec.role == ParamRole::embedding) return w.tok_embd;
    if (spec.role == ParamRole::norm) return w.final_norm;
    return w.lm_head;
  }
  const LayerWeights& L = w.layers.at(spec.layer);
  const std::string& n = spec.name;
  auto ends = [&](std::string_view sx) {
    return n.size() >= sx.size() && std::string_view(n).substr(n.size() - sx.size()) == sx;
  };
  if (ends("input_layernorm.weight")) return L.attn_norm;
  if (ends("q_proj.weight")) return L.wq;
  if (ends("k_proj.weight")) return L.wk;
  if (ends("v_proj.weight")) return L.wv;
  if (ends("q_proj.bias")) return L.bq;
  if (ends("k_proj.bias")) return L.bk;
  if (ends("v_proj.bias")) return L.bv;
  if (ends("o_proj.weight")) return L.wo;
  if (ends("post_attention_layernorm.weight")) return L.ffn_norm;
  if (ends("gate_up_proj.weight")) {
    LW_CHECK(L.w_gate.dtype == L.w_up.dtype &&
                 static_cast<char*>(L.w_gate.data) + L.w_gate.nbytes() == L.w_up.data,
             "{}: gate and up are not one fused buffer", n);
    Tensor t = L.w_gate;
    t.shape = {2 * static_cast<int64_t>(c.ffn), c.C};
    return t;
  }
  if (ends("gate_proj.weight")) return L.w_gate;
  if (ends("up_proj.weight")) return L.w_up;
  if (ends("down_proj.weight")) return L.w_down;
  LW_CHECK(false, "weight_of: unknown parameter {}", n);
  return {};
}

}  // namespace lw::engine
