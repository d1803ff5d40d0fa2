#include "engine/params.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace lw::engine {

int64_t ParamSpec::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

std::vector<ParamSpec> param_specs(const ModelConfig& c) {
  std::vector<ParamSpec> s;
  const int64_t C = c.C, V = c.V, q = c.q_dim(), kv = c.kv_dim(), ffn = c.ffn;
  auto add = [&](std::string name, Slot slot, std::vector<int64_t> shape, ParamRole role, int layer) {
    bool wd = role == ParamRole::linear || role == ParamRole::embedding || role == ParamRole::lm_head;
    s.push_back({std::move(name), slot, std::move(shape), role, layer, wd});
  };
  using S = Slot;
  add("model.embed_tokens.weight", S::embed, {V, C}, ParamRole::embedding, -1);
  for (int l = 0; l < c.n_layer; ++l) {
    std::string p = fmt::format("model.layers.{}.", l);
    add(p + "input_layernorm.weight", S::attn_norm, {C}, ParamRole::norm, l);
    add(p + "self_attn.q_proj.weight", S::wq, {q, C}, ParamRole::linear, l);
    if (c.qkv_bias) add(p + "self_attn.q_proj.bias", S::bq, {q}, ParamRole::bias, l);
    add(p + "self_attn.k_proj.weight", S::wk, {kv, C}, ParamRole::linear, l);
    if (c.qkv_bias) add(p + "self_attn.k_proj.bias", S::bk, {kv}, ParamRole::bias, l);
    add(p + "self_attn.v_proj.weight", S::wv, {kv, C}, ParamRole::linear, l);
    if (c.qkv_bias) add(p + "self_attn.v_proj.bias", S::bv, {kv}, ParamRole::bias, l);
    add(p + "self_attn.o_proj.weight", S::wo, {C, q}, ParamRole::linear, l);
    add(p + "post_attention_layernorm.weight", S::ffn_norm, {C}, ParamRole::norm, l);
    if (c.arch == Arch::glm4) {
      add(p + "mlp.gate_up_proj.weight", S::w_gate_up, {2 * ffn, C}, ParamRole::linear, l);
    } else {
      add(p + "mlp.gate_proj.weight", S::w_gate, {ffn, C}, ParamRole::linear, l);
      add(p + "mlp.up_proj.weight", S::w_up, {ffn, C}, ParamRole::linear, l);
    }
    add(p + "mlp.down_proj.weight", S::w_down, {C, ffn}, ParamRole::linear, l);
  }
  add("model.norm.weight", S::final_norm, {C}, ParamRole::norm, -1);
  if (!c.tie_word_embeddings) add("lm_head.weight", S::lm_head, {V, C}, ParamRole::lm_head, -1);
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
    visit_slot(w, spec, [&](Tensor& field, int part) {
      field = spec.slot == Slot::w_gate_up ? t.row_slice(part * c.ffn, c.ffn) : t;
    });
  }
  if (c.tie_word_embeddings) w.lm_head = w.tok_embd;
  return w;
}

Tensor weight_of(const ModelConfig& c, const ModelWeights& w, const ParamSpec& spec) {
  std::vector<Tensor> parts;
  visit_slot(w, spec, [&](const Tensor& field, int) { parts.push_back(field); });
  if (parts.size() == 1) return parts[0];
  // glm4's gate_up: the two halves must be adjacent rows of one buffer, as bind_weights makes them
  const Tensor &gate = parts[0], &up = parts[1];
  LW_CHECK(gate.dtype == up.dtype && static_cast<char*>(gate.data) + gate.nbytes() == up.data,
           "{}: gate and up are not one fused buffer", spec.name);
  Tensor t = gate;
  t.shape = {2 * static_cast<int64_t>(c.ffn), c.C};
  return t;
}

}  // namespace lw::engine
