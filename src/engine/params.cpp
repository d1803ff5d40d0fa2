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
    LayerWeights* L = spec.layer >= 0 ? &w.layers[spec.layer] : nullptr;
    switch (spec.slot) {
      case Slot::embed: w.tok_embd = t; break;
      case Slot::final_norm: w.final_norm = t; break;
      case Slot::lm_head: w.lm_head = t; break;
      case Slot::attn_norm: L->attn_norm = t; break;
      case Slot::wq: L->wq = t; break;
      case Slot::bq: L->bq = t; break;
      case Slot::wk: L->wk = t; break;
      case Slot::bk: L->bk = t; break;
      case Slot::wv: L->wv = t; break;
      case Slot::bv: L->bv = t; break;
      case Slot::wo: L->wo = t; break;
      case Slot::ffn_norm: L->ffn_norm = t; break;
      case Slot::w_gate: L->w_gate = t; break;
      case Slot::w_up: L->w_up = t; break;
      case Slot::w_gate_up:
        L->w_gate = t.row_slice(0, c.ffn);
        L->w_up = t.row_slice(c.ffn, c.ffn);
        break;
      case Slot::w_down: L->w_down = t; break;
    }
  }
  if (c.tie_word_embeddings) w.lm_head = w.tok_embd;
  return w;
}

Tensor weight_of(const ModelConfig& c, const ModelWeights& w, const ParamSpec& spec) {
  const LayerWeights* L = spec.layer >= 0 ? &w.layers.at(spec.layer) : nullptr;
  switch (spec.slot) {
    case Slot::embed: return w.tok_embd;
    case Slot::final_norm: return w.final_norm;
    case Slot::lm_head: return w.lm_head;
    case Slot::attn_norm: return L->attn_norm;
    case Slot::wq: return L->wq;
    case Slot::bq: return L->bq;
    case Slot::wk: return L->wk;
    case Slot::bk: return L->bk;
    case Slot::wv: return L->wv;
    case Slot::bv: return L->bv;
    case Slot::wo: return L->wo;
    case Slot::ffn_norm: return L->ffn_norm;
    case Slot::w_gate: return L->w_gate;
    case Slot::w_up: return L->w_up;
    case Slot::w_gate_up: {
      LW_CHECK(L->w_gate.dtype == L->w_up.dtype &&
                   static_cast<char*>(L->w_gate.data) + L->w_gate.nbytes() == L->w_up.data,
               "{}: gate and up are not one fused buffer", spec.name);
      Tensor t = L->w_gate;
      t.shape = {2 * static_cast<int64_t>(c.ffn), c.C};
      return t;
    }
    case Slot::w_down: return L->w_down;
  }
  return {};
}

}  // namespace lw::engine
