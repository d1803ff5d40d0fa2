#pragma once
// The parameter list, declared once. For a config it enumerates every tensor in a fixed order with
// its canonical HF name, shape and role. The loader, the trainer (zero-grad, AdamW, save) and
// convert all walk this list, so they can never disagree.
//
// Canonical names (what the engine and trainer save):
//   llama: model.embed_tokens.weight (V, C)
//          model.layers.{i}.input_layernorm.weight (C)
//          model.layers.{i}.self_attn.{q,k,v,o}_proj.weight  q:(n_head*hd, C) k,v:(n_kv_head*hd, C)
//                                                           o:(C, n_head*hd)
//          model.layers.{i}.post_attention_layernorm.weight (C)
//          model.layers.{i}.mlp.{gate,up}_proj.weight (ffn, C), mlp.down_proj.weight (C, ffn)
//          model.norm.weight (C), lm_head.weight (V, C) unless tie_word_embeddings
//   glm4 (GlmForCausalLM): as llama plus self_attn.{q,k,v}_proj.bias, and one fused
//          mlp.gate_up_proj.weight (2*ffn, C) = [gate; up] instead of gate_proj/up_proj.
// The ChatGLM layout (transformer.encoder.layers.{i}.self_attention.query_key_value, ...) is an
// alias the loader maps onto these names (engine/loader.cpp).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/config.hpp"
#include "engine/tensor.hpp"

namespace lw::engine {

enum class ParamRole {
  embedding,   // token embedding (V, C)
  norm,        // RMSNorm weight (C)
  linear,      // projection weight (out, in)
  bias,        // projection bias (out)
  lm_head,     // output projection (V, C)
};

// Which tensor of the model a parameter is (its place in LayerWeights / ModelWeights).
enum class Slot {
  embed, attn_norm, wq, bq, wk, bk, wv, bv, wo, ffn_norm, w_gate, w_up, w_gate_up, w_down, final_norm, lm_head,
};

struct ParamSpec {
  std::string name;            // canonical HF name
  Slot slot = Slot::embed;
  std::vector<int64_t> shape;  // row-major; matrices are (out_features, in_features)
  ParamRole role = ParamRole::linear;
  int layer = -1;              // -1 for non-layer tensors
  bool weight_decay = false;   // AdamW decay: linear/embedding/lm_head yes; norms and biases no
  int64_t numel() const;
};

// "[4096, 14336]" for error messages.
std::string shape_str(const std::vector<int64_t>& shape);

// Every tensor of the model in a fixed order: embedding, layers 0..n-1, final norm, lm_head.
std::vector<ParamSpec> param_specs(const ModelConfig& cfg);

// Per-layer weight views the forward pass reads. Norm weights and biases are always f32 (the
// loader converts them); matrices keep their storage dtype.
struct LayerWeights {
  Tensor attn_norm;       // (C) f32
  Tensor wq, wk, wv, wo;  // (q_dim, C) (kv_dim, C) (kv_dim, C) (C, q_dim)
  Tensor bq, bk, bv;      // (q_dim) (kv_dim) (kv_dim) f32; empty unless qkv_bias
  Tensor ffn_norm;        // (C) f32
  Tensor w_gate, w_up;    // (ffn, C) each (views into gate_up for glm4)
  Tensor w_down;          // (C, ffn)
};

struct ModelWeights {
  Tensor tok_embd;    // (V, C)
  std::vector<LayerWeights> layers;
  Tensor final_norm;  // (C) f32
  Tensor lm_head;     // (V, C); a view of tok_embd when tied
};

// The one map from a parameter's slot to the fields that hold it, for any per-model struct M with
// tok_embd / final_norm / lm_head and layers[] of a per-layer struct with the LayerWeights field
// names (engine::ModelWeights of Tensors, the trainer's pointers, ...): calls f(field, part) for
// each field slot `spec` fills: one field (part 0), or for glm4's fused gate_up the gate (part 0)
// and the up (part 1) halves. Loading, binding, saving, the trainer and checkpoints all go through
// it; nothing outside param_specs() looks at tensor names.
template <class Layer, class Fn>
void visit_layer_slot(Layer& L, Slot slot, Fn&& f) {
  switch (slot) {
    case Slot::attn_norm: f(L.attn_norm, 0); return;
    case Slot::wq: f(L.wq, 0); return;
    case Slot::bq: f(L.bq, 0); return;
    case Slot::wk: f(L.wk, 0); return;
    case Slot::bk: f(L.bk, 0); return;
    case Slot::wv: f(L.wv, 0); return;
    case Slot::bv: f(L.bv, 0); return;
    case Slot::wo: f(L.wo, 0); return;
    case Slot::ffn_norm: f(L.ffn_norm, 0); return;
    case Slot::w_gate: f(L.w_gate, 0); return;
    case Slot::w_up: f(L.w_up, 0); return;
    case Slot::w_gate_up: f(L.w_gate, 0), f(L.w_up, 1); return;
    case Slot::w_down: f(L.w_down, 0); return;
    case Slot::embed: case Slot::final_norm: case Slot::lm_head: break;
  }
}
template <class Model, class Fn>
void visit_slot(Model& m, const ParamSpec& spec, Fn&& f) {
  switch (spec.slot) {
    case Slot::embed: f(m.tok_embd, 0); return;
    case Slot::final_norm: f(m.final_norm, 0); return;
    case Slot::lm_head: f(m.lm_head, 0); return;
    default: visit_layer_slot(m.layers.at(static_cast<size_t>(spec.layer)), spec.slot, f);
  }
}

// Builds the weight views from one Tensor per ParamSpec (in param_specs order): `get(spec)` returns
// the tensor for that spec (already checked or converted by the caller). Splits glm4's gate_up.
ModelWeights bind_weights(const ModelConfig& cfg,
                          const std::function<Tensor(const ParamSpec&)>& get);

// The inverse of bind_weights: the tensor of `spec` in `w`. For glm4's gate_up_proj the gate and up
// views must be adjacent rows of one buffer (as bind_weights makes them); otherwise an error.
Tensor weight_of(const ModelConfig& cfg, const ModelWeights& w, const ParamSpec& spec);

}  // namespace lw::engine
